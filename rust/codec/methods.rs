//! The envelope method names pytiktoklive has a schema for (`METHOD_EVENT_TYPES` in
//! events.py). Every other method decodes as an `UnknownEvent`.

macro_rules! methods {
    ($($variant:ident => $wire:literal,)+) => {
        /// A known envelope method name (`Message.method`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Method {
            $($variant,)+
        }

        impl Method {
            /// Every known method, in table order.
            pub const ALL: &'static [Method] = &[$(Method::$variant,)+];

            /// The method named `name` on the wire, if pytiktoklive knows it.
            pub fn from_wire(name: &str) -> Option<Self> {
                match name {
                    $($wire => Some(Self::$variant),)+
                    _ => None,
                }
            }

            /// The name on the wire.
            pub fn wire_name(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)+
                }
            }
        }
    };
}

methods! {
    Chat => "WebcastChatMessage",
    EmoteChat => "WebcastEmoteChatMessage",
    Gift => "WebcastGiftMessage",
    Like => "WebcastLikeMessage",
    Member => "WebcastMemberMessage",
    Social => "WebcastSocialMessage",
    RoomUserSeq => "WebcastRoomUserSeqMessage",
    QuestionNew => "WebcastQuestionNewMessage",
    Control => "WebcastControlMessage",
    LinkMicBattle => "WebcastLinkMicBattle",
    LinkMicArmies => "WebcastLinkMicArmies",
    InRoomBanner => "WebcastInRoomBannerMessage",
    LiveIntro => "WebcastLiveIntroMessage",
    WebcastRoom => "WebcastRoomMessage",
    Room => "RoomMessage",
    WebcastSystem => "WebcastSystemMessage",
    System => "SystemMessage",
    Bottom => "WebcastBottomMessage",
    Envelope => "WebcastEnvelopeMessage",
    SubNotify => "WebcastSubNotifyMessage",
    RankUpdate => "WebcastRankUpdateMessage",
    HourlyRank => "WebcastHourlyRankMessage",
    GoalUpdate => "WebcastGoalUpdateMessage",
    Poll => "WebcastPollMessage",
    Caption => "WebcastCaptionMessage",
    Link => "WebcastLinkMessage",
    LinkLayer => "WebcastLinkLayerMessage",
    RoomPin => "WebcastRoomPinMessage",
    Barrage => "WebcastBarrageMessage",
    ImDelete => "WebcastImDeleteMessage",
    UnauthorizedMember => "WebcastUnauthorizedMemberMessage",
}

#[cfg(test)]
mod tests {
    use super::Method;

    #[test]
    fn names_round_trip() {
        for &method in Method::ALL {
            assert_eq!(Method::from_wire(method.wire_name()), Some(method));
        }
        assert_eq!(Method::ALL.len(), 31);
        assert_eq!(Method::from_wire("WebcastWeeklyRankRewardMessage"), None);
        assert_eq!(Method::from_wire("webcastchatmessage"), None);
    }
}
