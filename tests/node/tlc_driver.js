// Runs TikTok-Live-Connector 1.x, unmodified, against a pytiktoklive simulator.
//
//   node tlc_driver.js <install dir> <simulator base URL> <username> <timeout seconds>
//
// TikTok-Live-Connector 1.x reads its hosts from module-level objects at call time:
// `dist/lib/webcastConfig.js` (TIKTOK_URL_WEB, TIKTOK_URL_WEBCAST, TIKTOK_HTTP_ORIGIN) and the
// sign provider's `config` (signProviderHost, signProviderFallbackHosts). Pointing those at the
// simulator is the only change: everything else (page scraping, room/info, the signed first
// im/fetch, the websocket with its cursor, heartbeats and acks) is the library's own code.
//
// Output: one JSON line per event — {"event": "message", "type", "digest"} for every WebCast
// message the library hands out (digest: the first 16 hex digits of the SHA-256 of the message
// payload, as the simulator's --sent-log writes it), "connected", "end" (the streamEnd control
// event), "error", and "disconnected" last.
'use strict';

const crypto = require('crypto');
const path = require('path');

const [installDir, baseUrl, username, timeoutSeconds] = process.argv.slice(2);
const root = path.join(installDir, 'node_modules', 'tiktok-live-connector');
const hosts = require(path.join(root, 'dist', 'lib', 'webcastConfig.js'));
hosts.TIKTOK_URL_WEB = `${baseUrl}/`;
hosts.TIKTOK_URL_WEBCAST = `${baseUrl}/webcast/`;
hosts.TIKTOK_HTTP_ORIGIN = baseUrl;

const { WebcastPushConnection, signatureProvider } = require(root);
signatureProvider.config.signProviderHost = `${baseUrl}/signer/`;
signatureProvider.config.signProviderFallbackHosts = [];

const print = (record) => process.stdout.write(`${JSON.stringify(record)}\n`);
const digest = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 16);

const connection = new WebcastPushConnection(username, {
  processInitialData: true,
  enableExtendedGiftInfo: false,
  enableWebsocketUpgrade: true,
  requestPollingIntervalMs: 1000,
});
connection.on('rawData', (type, binary) => print({ event: 'message', type, digest: digest(binary) }));
connection.on('streamEnd', (data) => print({ event: 'end', action: data.action }));
connection.on('error', (error) => {
  const exception = error && error.exception;
  print({ event: 'error', info: error && error.info, message: String((exception && exception.message) || exception) });
});
connection.on('disconnected', () => {
  print({ event: 'disconnected' });
  setTimeout(() => process.exit(0), 50);
});

connection
  .connect()
  .then((state) => print({ event: 'connected', roomId: state.roomId, websocket: state.upgradedToWebsocket }))
  .catch((error) => {
    print({ event: 'failed', message: String((error && error.message) || error) });
    process.exit(2);
  });

setTimeout(() => {
  print({ event: 'timeout' });
  process.exit(3);
}, Number(timeoutSeconds) * 1000);
