"""``TikTokLiveClient``: TikTokLive's client API on top of :class:`pytiktoklive.TikTok`.

The connection, decoding, reconnects and backpressure are pytiktoklive's; this
class keeps TikTokLive's surface: class-keyed listeners (``@client.on(CommentEvent)``),
``start`` / ``connect`` / ``run`` / ``disconnect``, ``is_live``, ``client.web``,
and TikTokLive's event and error names.

Listener semantics follow TikTokLive (which uses a pyee emitter): events are
keyed by class name, with no inheritance (a ``SocialEvent`` listener does not
see ``FollowEvent``\\ s; both are emitted). Plain functions run as the event is
emitted; coroutine functions run as tasks. A handler that raises goes to the
``"error"`` listeners (``client.on("error", f)``), else to the log; the stream
goes on. Unlike TikTokLive, the connection waits for the handlers it started
before it finishes, so nothing is cut off when ``run()`` returns.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import urllib.parse
from typing import (
    Any,
    Awaitable,
    Callable,
    Dict,
    List,
    Mapping,
    Optional,
    Set,
    Tuple,
    Type,
    TypeVar,
    Union,
    overload,
)

from pytiktoklive._signing import SignServer
from pytiktoklive.client import TikTok
from pytiktoklive.compat.client.web import TikTokWebClient
from pytiktoklive.compat.errors import AlreadyConnectedError, translate_errors
from pytiktoklive.compat.events import BaseEvent, ConnectEvent, DisconnectEvent, WebsocketResponseEvent, adapt
from pytiktoklive.config import Endpoints
from pytiktoklive.live import Live

__all__ = ["TikTokLiveClient"]

HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])
#: What listener methods accept as an event: a compat event class or its name.
EventKey = Union[Type[BaseEvent], str]
#: A proxy as TikTokLive takes it (an ``httpx.Proxy``) or as a URL.
ProxyLike = Any

_LOG = logging.getLogger("pytiktoklive.compat")
_TIKTOK_HOSTS = (
    "https://www.tiktok.com/",
    "http://www.tiktok.com/",
    "https://tiktok.com/",
    "www.tiktok.com/",
)


def _event_name(event: EventKey) -> str:
    if isinstance(event, str):
        return event
    if isinstance(event, type) and issubclass(event, BaseEvent):
        return event.get_type()
    raise TypeError(
        f"listen to a pytiktoklive.compat.events class (like CommentEvent) or a name, not {event!r}"
    )


def _socks_proxy_url(proxy: Any) -> Optional[str]:
    """The URL of a ``websockets_proxy.Proxy`` (python-socks), which TikTokLive takes as ``ws_proxy``.

    python-socks keeps the settings in underscored attributes only; read, never imported.
    """
    kind = getattr(getattr(proxy, "_proxy_type", None), "name", None)
    host, port = getattr(proxy, "_proxy_host", None), getattr(proxy, "_proxy_port", None)
    if kind not in ("HTTP", "SOCKS5") or not host or not port:
        return None
    scheme = "http" if kind == "HTTP" else ("socks5h" if getattr(proxy, "_rdns", None) else "socks5")
    username, password = getattr(proxy, "_username", None), getattr(proxy, "_password", None)
    credentials = ""
    if username:
        credentials = (
            urllib.parse.quote(username, safe="") + ":" + urllib.parse.quote(password or "", safe="") + "@"
        )
    return f"{scheme}://{credentials}{host}:{port}"


def _proxy_url(proxy: ProxyLike) -> Optional[str]:
    """A proxy URL (credentials included) from a URL, an ``httpx.Proxy`` or a python-socks proxy."""
    if proxy is None or isinstance(proxy, str):
        return proxy
    url = getattr(proxy, "url", None)
    if url is None:
        socks_url = _socks_proxy_url(proxy)
        if socks_url is not None:
            return socks_url
        raise TypeError(
            f"a proxy must be a URL, an httpx.Proxy or an http/socks5 websockets_proxy.Proxy,"
            f" not {type(proxy).__name__}"
        )
    auth = getattr(proxy, "auth", None)
    if auth and hasattr(url, "copy_with"):
        url = url.copy_with(username=auth[0], password=auth[1])
    return str(url)


class _Listener:
    """One registration: the function the user gave and the callable to run (a once-wrapper)."""

    __slots__ = ("call", "function")

    def __init__(self, function: Callable[..., Any], call: Callable[..., Any]) -> None:
        self.function = function
        self.call = call


class TikTokLiveClient:
    """A TikTokLive-compatible client for one user's LIVE.

    Arguments are TikTokLive's: ``unique_id`` (``"@name"``, ``"name"``, a live URL, or a
    numeric user id with ``is_user_id=True``), ``platform`` (accepted, unused),
    ``web_proxy`` / ``ws_proxy`` (URLs, ``httpx.Proxy`` or an http/socks5
    ``websockets_proxy.Proxy``: ``web_proxy`` carries the HTTP
    requests, ``ws_proxy`` the websocket; ``web_proxy`` alone carries both, where TikTokLive
    would open the websocket directly), ``web_kwargs`` (``httpx_kwargs``: its ``params``,
    ``headers["User-Agent"]``, ``timeout``; ``signer_kwargs``: ``sign_api_key``,
    ``sign_api_base``; ``web_proxy``) and ``ws_kwargs`` (``proxy`` is used as ``ws_proxy``;
    the rest is accepted, unused).

    pytiktoklive extensions (keyword-only): ``endpoints`` (e.g. a simulator's
    ``sim.endpoints``; by default :meth:`Endpoints.from_env`, as for :class:`pytiktoklive.TikTok`)
    and any :class:`pytiktoklive.TikTok` option (``reconnect=``, ``debug=``, ``polling=``…).
    """

    def __init__(
        self,
        unique_id: Union[str, int],
        platform: Any = "web",
        web_proxy: ProxyLike = None,
        ws_proxy: ProxyLike = None,
        web_kwargs: Optional[Mapping[str, Any]] = None,
        ws_kwargs: Optional[Mapping[str, Any]] = None,
        is_user_id: Optional[bool] = False,
        *,
        endpoints: Optional[Endpoints] = None,
        **tiktok_options: Any,
    ) -> None:
        self._unique_id = self.parse_unique_id(unique_id)
        self._is_user_id = bool(is_user_id)
        self.platform = platform
        self.ignore_broken_payload = False  # TikTokLive's knobs: pytiktoklive logs skipped messages itself
        self.parse_error_ignorelist: List[str] = []
        # Like TikTok(): the environment (PYTIKTOKLIVE_ENDPOINT & co.) unless endpoints are given.
        self._endpoints = Endpoints.from_env() if endpoints is None else endpoints
        self._web_proxy = _proxy_url(web_proxy)
        self._ws_proxy = _proxy_url(ws_proxy if ws_proxy is not None else (ws_kwargs or {}).get("proxy"))
        self._tiktok_options = self._options(dict(web_kwargs or {}), tiktok_options)
        unused_ws_kwargs = sorted(set(ws_kwargs or {}) - {"proxy"})
        if unused_ws_kwargs:
            _LOG.debug("ws_kwargs %s are not used by pytiktoklive", unused_ws_kwargs)
        self._web = TikTokWebClient(self._new_tiktok)
        self._web.tiktok  # noqa: B018 - bad options fail here, not at the first connection
        self._listeners: Dict[str, List[_Listener]] = {}
        # Handler tasks still running: those of the current connection, and all of them.
        self._session_tasks: Set[asyncio.Future[Any]] = set()
        self._handler_tasks: Set[asyncio.Future[Any]] = set()
        self._live: Optional[Live] = None
        self._loop_task: Optional[asyncio.Task[None]] = None
        self._room_info: Optional[Dict[str, Any]] = None
        self._gift_info: Optional[Dict[str, Any]] = None

    def __repr__(self) -> str:
        state = "connected" if self.connected else "not connected"
        return f"<TikTokLiveClient @{self._unique_id} {state}>"

    # ------------------------------------------------------------------ configuration

    def _options(self, web_kwargs: Dict[str, Any], options: Dict[str, Any]) -> Dict[str, Any]:
        """:class:`TikTok` keyword arguments from TikTokLive's ``web_kwargs`` and our own options."""
        httpx_kwargs = dict(web_kwargs.pop("httpx_kwargs", None) or {})
        signer_kwargs = dict(web_kwargs.pop("signer_kwargs", None) or {})
        web_proxy = web_kwargs.pop("web_proxy", None)
        if web_proxy is not None and self._web_proxy is None:
            self._web_proxy = _proxy_url(web_proxy)
        if httpx_kwargs.get("params"):
            options.setdefault("params", {str(k): str(v) for k, v in dict(httpx_kwargs["params"]).items()})
        headers = {str(k).lower(): v for k, v in dict(httpx_kwargs.get("headers") or {}).items()}
        if str(headers.get("user-agent", "")).startswith("Mozilla/"):
            options.setdefault("user_agent", str(headers["user-agent"]))
        if isinstance(httpx_kwargs.get("timeout"), (int, float)):
            options.setdefault("timeout", float(httpx_kwargs["timeout"]))
        api_key = signer_kwargs.get("sign_api_key") or os.environ.get("SIGN_API_KEY")
        base = signer_kwargs.get("sign_api_base")  # SIGN_API_URL is in the endpoints already
        if (api_key or base) and "signer" not in options:
            options["signer"] = SignServer(str(base or self._endpoints.signer), api_key=api_key)
        # HTTP goes through web_proxy (else the environment's); the websocket through ws_proxy,
        # else web_proxy, so that a single proxy given hides the client's address everywhere.
        if self._web_proxy:
            options.setdefault("proxy", self._web_proxy)
        if self._ws_proxy:
            options.setdefault("websocket_proxy", self._ws_proxy)
        ignored = sorted(set(web_kwargs) | (set(httpx_kwargs) - {"params", "headers", "timeout"}))
        if ignored:
            _LOG.debug("web_kwargs %s are not used by pytiktoklive", ignored)
        return options

    def _new_tiktok(self) -> TikTok:
        return TikTok(self._endpoints, **self._tiktok_options)

    @classmethod
    def parse_unique_id(cls, unique_id: Union[str, int]) -> str:
        """``"@name"``, ``"name"``, ``"https://www.tiktok.com/@name/live"`` → ``"name"``."""
        text = str(unique_id).strip()
        for host in _TIKTOK_HOSTS:
            if text.startswith(host):
                text = text[len(host) :]
        text = text.split("?", 1)[0].rstrip("/")
        if text.endswith("/live"):
            text = text[: -len("/live")]
        return text[1:] if text.startswith("@") else text

    # ------------------------------------------------------------------ properties

    @property
    def unique_id(self) -> str:
        return self._unique_id

    @property
    def room_id(self) -> Optional[int]:
        """The connected room (None before connecting and after ``disconnect()``)."""
        return self._web.room_id

    @property
    def room_info(self) -> Optional[Dict[str, Any]]:
        """``room/info``'s ``data``, when started with ``fetch_room_info=True``."""
        return self._room_info

    @property
    def gift_info(self) -> Optional[Dict[str, Any]]:
        """``gift/list``'s ``data``, when started with ``fetch_gift_info=True``."""
        return self._gift_info

    @property
    def web(self) -> TikTokWebClient:
        return self._web

    @property
    def connected(self) -> bool:
        return self._live is not None and not self._live.closed

    @property
    def logger(self) -> logging.Logger:
        return _LOG

    @property
    def tiktok(self) -> TikTok:
        """The :class:`pytiktoklive.TikTok` underneath (pytiktoklive extension)."""
        return self._web.tiktok

    @property
    def live(self) -> Optional[Live]:
        """The :class:`pytiktoklive.Live` being read (pytiktoklive extension)."""
        return self._live

    # ------------------------------------------------------------------ listeners

    @overload
    def on(self, event: EventKey) -> Callable[[HandlerT], HandlerT]: ...

    @overload
    def on(self, event: EventKey, f: HandlerT) -> HandlerT: ...

    def on(
        self, event: EventKey, f: Optional[HandlerT] = None
    ) -> Union[HandlerT, Callable[[HandlerT], HandlerT]]:
        """Call ``f`` for every event of this class.

        ``@client.on(CommentEvent)`` as a decorator, or ``client.on(CommentEvent, f)``.
        """
        name = _event_name(event)

        def register(function: HandlerT) -> HandlerT:
            return self._register(name, function, function)

        return register(f) if f is not None else register

    def listens_to(self, event: EventKey) -> Callable[[HandlerT], HandlerT]:
        return self.on(event)

    def add_listener(self, event: EventKey, f: HandlerT) -> HandlerT:
        return self._register(_event_name(event), f, f)

    def once(
        self, event: EventKey, f: Optional[HandlerT] = None
    ) -> Union[HandlerT, Callable[[HandlerT], HandlerT]]:
        """Like :meth:`on`, for the next such event only."""
        name = _event_name(event)

        def register(function: HandlerT) -> HandlerT:
            def call_once(*args: Any, **kwargs: Any) -> Any:
                self._unregister(name, function)
                return function(*args, **kwargs)

            return self._register(name, function, call_once)

        return register(f) if f is not None else register

    def _register(self, name: str, function: HandlerT, call: Callable[..., Any]) -> HandlerT:
        if not callable(function):
            raise TypeError("a listener must be callable")
        listeners = self._listeners.setdefault(name, [])
        for listener in listeners:
            if listener.function == function:  # as with pyee: one registration per function
                listener.call = call
                return function
        listeners.append(_Listener(function, call))
        return function

    def _unregister(self, name: str, function: Callable[..., Any]) -> bool:
        listeners = self._listeners.get(name, [])
        for index, listener in enumerate(listeners):
            if listener.function == function:
                del listeners[index]
                if not listeners:
                    del self._listeners[name]
                return True
        return False

    def has_listener(self, event: EventKey) -> bool:
        return bool(self._listeners.get(_event_name(event)))

    def remove_listener(self, event: EventKey, f: Callable[..., Any]) -> None:
        """Remove ``f``; ``KeyError`` if it is not listening to ``event``."""
        if not self._unregister(_event_name(event), f):
            raise KeyError(f"{f!r} does not listen to {_event_name(event)}")

    def remove_all_listeners(self, event: Optional[EventKey] = None) -> None:
        if event is None:
            self._listeners.clear()
        else:
            self._listeners.pop(_event_name(event), None)

    def listeners(self, event: EventKey) -> List[Callable[..., Any]]:
        return [listener.function for listener in self._listeners.get(_event_name(event), [])]

    def event_names(self) -> Set[str]:
        return set(self._listeners)

    def emit(self, event: EventKey, *args: Any, **kwargs: Any) -> bool:
        """Run the listeners of ``event`` with these arguments; False when there were none."""
        return self._emit(_event_name(event), args, kwargs, self._session_tasks)

    def _emit(
        self, name: str, args: Tuple[Any, ...], kwargs: Dict[str, Any], tasks: Set[asyncio.Future[Any]]
    ) -> bool:
        listeners = list(self._listeners.get(name, ()))
        for listener in listeners:
            try:
                result = listener.call(*args, **kwargs)
            except Exception as exc:
                self._handler_failed(name, exc)
                continue
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(self._await_handler(name, result))
                for pending in (tasks, self._handler_tasks):
                    pending.add(task)
                    task.add_done_callback(pending.discard)
        return bool(listeners)

    async def _await_handler(self, name: str, awaitable: Awaitable[Any]) -> None:
        try:
            await awaitable
        except Exception as exc:
            self._handler_failed(name, exc)

    def _handler_failed(self, name: str, exc: Exception) -> None:
        if name != "error" and self._listeners.get("error"):
            self._emit("error", (exc,), {}, self._session_tasks)
        else:
            _LOG.error("a %s listener raised %r", name, exc, exc_info=exc)

    def _dispatch(self, event: BaseEvent, tasks: Set[asyncio.Future[Any]]) -> None:
        self._emit(event.get_type(), (event,), {}, tasks)

    # ------------------------------------------------------------------ connecting

    async def start(
        self,
        *,
        process_connect_events: bool = True,
        compress_ws_events: bool = True,
        fetch_room_info: bool = False,
        fetch_gift_info: bool = False,
        fetch_live_check: bool = True,
        room_id: Optional[int] = None,
    ) -> asyncio.Task[None]:
        """Connect and return the task reading the room (it ends when the connection does).

        ``process_connect_events=False`` drops the recent messages the first fetch returns.
        ``compress_ws_events`` and ``fetch_live_check`` are accepted; pytiktoklive always
        asks for gzip and always checks the room is live. ``room_id`` skips the room lookup.
        Raises :class:`UserOfflineError`, :class:`UserNotFoundError`, :class:`AlreadyConnectedError`…
        """
        if self.connected:
            raise AlreadyConnectedError("this client is already connected; disconnect() first")
        tiktok = self._web.tiktok
        options = {"fetch_gift_info": fetch_gift_info, "process_initial_events": process_connect_events}
        if self._is_user_id and room_id is None and self._unique_id.isdigit():
            self._unique_id = await self._web.fetch_user_unique_id(int(self._unique_id))
        with translate_errors():
            if room_id is not None:
                live = await tiktok.track_room(int(room_id), **options)
            else:
                live = await tiktok.track_user(self._unique_id, **options)
        self._live = live
        self._web.room_id = live.room_id
        self._room_info = dict(live.info.raw) if fetch_room_info else None
        self._gift_info = dict(live.gift_info.raw) if fetch_gift_info and live.gift_info else None
        self._session_tasks = set()
        self._loop_task = asyncio.get_running_loop().create_task(self._read(live, self._session_tasks))
        return self._loop_task

    async def _read(self, live: Live, tasks: Set[asyncio.Future[Any]]) -> None:
        """Emit the room's events until the connection ends; then :class:`DisconnectEvent`."""
        ended_normally = False
        try:
            self._dispatch(ConnectEvent(unique_id=self._unique_id, room_id=live.room_id), tasks)
            with translate_errors():
                async for native_event in live:
                    *derived, event = adapt(native_event)
                    for custom in derived:
                        self._dispatch(custom, tasks)
                    if "WebsocketResponseEvent" in self._listeners:  # built only when listened to
                        self._dispatch(WebsocketResponseEvent(native_event), tasks)
                    self._dispatch(event, tasks)
            ended_normally = True
        except asyncio.CancelledError:
            for task in tasks:
                task.cancel()
            raise
        finally:
            if self._live is live:
                self._live = None
            await live.close()
            if ended_normally:
                self._dispatch(DisconnectEvent(), tasks)
        await self._drain(tasks)

    @staticmethod
    async def _drain(tasks: Set[asyncio.Future[Any]]) -> None:
        """Wait for a connection's handler tasks, including those they lead to."""
        while True:
            pending = [task for task in tasks if not task.done()]
            if not pending:
                return
            await asyncio.wait(pending)

    async def connect(
        self,
        callback: Optional[Union[Callable[[], Any], Awaitable[Any]]] = None,
        **start_options: Any,
    ) -> asyncio.Task[None]:
        """:meth:`start`, run ``callback`` (a function, coroutine function or awaitable) once,
        then wait until the connection ends. Returns the finished task."""
        task = await self.start(**start_options)
        if callback is not None:
            result = callback() if callable(callback) else callback
            if inspect.isawaitable(result):
                await result
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            cancelling = getattr(current, "cancelling", None)
            if not task.cancelled() or (cancelling is not None and cancelling()):
                raise  # we are being cancelled ourselves, not just the reading task
        return task

    def run(self, **start_options: Any) -> asyncio.Task[None]:
        """Blocking :meth:`connect` on a new event loop; returns when the connection ends."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise RuntimeError("run() blocks: inside a running event loop, use `await client.connect()`")

        async def main() -> asyncio.Task[None]:
            try:
                return await self.connect(**start_options)
            finally:
                await self._web.close()  # its connections belong to this loop, which ends here

        return asyncio.run(main())

    async def disconnect(self, close_client: bool = False) -> None:
        """End the connection (the reading task then emits :class:`DisconnectEvent`)."""
        live, task = self._live, self._loop_task
        if live is not None:
            await live.close()
        current = asyncio.current_task()
        # A listener calling disconnect() must not wait for the task that waits for it.
        if task is not None and task is not current and current not in self._handler_tasks:
            await asyncio.gather(task, return_exceptions=True)
        self._web.room_id = None
        self._room_info = self._gift_info = None
        if close_client:
            await self.close()

    async def close(self) -> None:
        """Close the HTTP client (a later call makes a new one)."""
        await self._web.close()

    # ------------------------------------------------------------------ lookups

    async def is_live(self, unique_id: Optional[Union[str, int]] = None) -> bool:
        """Whether the user (default: this client's) is live now."""
        name = self.parse_unique_id(unique_id) if unique_id is not None else self._unique_id
        if self._is_user_id and name.isdigit():
            name = await self._web.fetch_user_unique_id(int(name))
            if unique_id is None:
                self._unique_id = name  # the client's own id, resolved once (TikTokLive keeps it too)
        return await self._web.fetch_is_live(unique_id=name)

    async def get_avatar_url(self, unique_id: Optional[Union[str, int]] = None) -> Optional[str]:
        """The user's avatar URL (None when the profile has none)."""
        name = self.parse_unique_id(unique_id) if unique_id is not None else self._unique_id
        with translate_errors():
            user = await self._web.tiktok.get_user_info(name)
        return user.avatar_url or None

    async def send_room_chat(self, content: str) -> Dict[str, Any]:
        """Send ``content`` to the connected room's chat as the user of
        ``client.web.set_session(session_id, tt_target_idc)``; answers in TikTokLive's shape
        ``{"code", "message", "data"}``. TikTokLive posts through its sign server's paid endpoint;
        pytiktoklive posts to TikTok's ``room/chat`` with the session cookies.

        Raises :class:`pytiktoklive.errors.LoginRequiredError` without a (valid) session and
        ``RateLimitError`` when rate limited (both ``TikTokLiveError``)."""
        room_id = self._web.room_id
        if room_id is None:
            raise RuntimeError("send_room_chat needs a connected client (or web.room_id)")
        with translate_errors():
            msg_id = await self._web.tiktok.send_chat(room_id, content)
        return {"code": 0, "message": "ok", "data": {"msg_id": msg_id, "content": content}}
