"""Payloads the providers have published (SDK test fixtures, documentation examples), end to end.

Each case is one published payload, where it comes from, and the outcomes `normalize` must give
for it, both when the provider is detected from the shape and when it is named. Payload facts
are copied as published (ids, numbers, times); the wording around them is ours.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from dlrkit import Catalog, normalize
from dlrkit.adapters import infobip
from dlrkit.classify import Classifier
from dlrkit.errors import InputError


class Case(NamedTuple):
    source: str
    provider: str
    body: str
    expected: list[dict[str, Any]]
    content_type: str | None = None


CASES: list[Case] = [
    # --- Infobip ------------------------------------------------------------------------------
    Case(
        "github.com/infobip/infobip-api-python-client tests/api/test_sms_api.py"
        " (test_outbound_delivery_reports_webhook_model, SMS v3 report)",
        "infobip",
        """{"results": [{"bulkId": "BULK-ID-123-xyz",
        "price": {"pricePerMessage": 0.01, "currency": "EUR"},
        "status": {"groupId": 3, "groupName": "DELIVERED", "id": 5,
        "name": "DELIVERED_TO_HANDSET", "description": "Message delivered to handset"},
        "error": {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR",
        "description": "No Error", "permanent": false},
        "messageId": "MESSAGE-ID-123-xyz", "to": "41793026727", "sender": "InfoSMS",
        "sentAt": "2023-08-01T16:10:00+05:30", "doneAt": "2023-08-01T16:10:00+05:30",
        "messageCount": 1, "platform": {"entityId": "promotional-traffic-entity",
        "applicationId": "marketing-automation-application"}}]}""",
        [
            {
                "message_id": "MESSAGE-ID-123-xyz",
                "channel": "sms",
                "state": "delivered",
                "final": True,
                "recipient": "+41793026727",
                "sender": "InfoSMS",
                "sent_at": "2023-08-01T10:40:00Z",
                "done_at": "2023-08-01T10:40:00Z",
                "price": 0.01,
                "currency": "EUR",
                "segments": 1,
            }
        ],
    ),
    Case(
        "github.com/infobip/infobip-api-python-client tests/api/test_sms_api.py"
        " (test_send_basic_sms_with_application_and_entity, v3 send answer)",
        "infobip",
        """{"bulkId": "2034072219640523072", "messages": [
        {"messageId": "2250be2d4219-3af1-78856-aabe-1362af1edfd2",
        "status": {"groupId": 1, "groupName": "PENDING", "id": 26, "name": "MESSAGE_ACCEPTED",
        "description": "Message sent to next instance"},
        "destination": "41793026727", "details": {"messageCount": 1}}]}""",
        [{"state": "accepted", "final": False, "recipient": "+41793026727", "segments": 1}],
    ),
    Case(
        "github.com/infobip/infobip-api-java-client src/test/java/com/infobip/api/"
        "VoiceApiTest.java (shouldGetVoiceDeliveryReports)",
        "infobip",
        """{"results": [{"bulkId": "8c20f086-d82b-48cc-b2b3-3ca5f7aca9fb",
        "messageId": "ff4804ef-6ab6-4abd-984d-ab3b1387e852", "from": "385333444",
        "to": "385981178", "sentAt": "2018-06-25T13:38:14.730+0000", "mccMnc": "21901",
        "callbackData": "DLR callback data",
        "voiceCall": {"feature": "Voice-message", "startTime": "2018-06-25T13:38:15.000+0000",
        "answerTime": "2018-06-25T13:38:25.000+0000",
        "endTime": "2018-06-25T13:38:28.316+0000", "duration": 10, "chargedDuration": 30,
        "fileDuration": 19.3, "ivr": {"scenarioId": "333", "scenarioName": "Scenario name"}},
        "price": {"pricePerSecond": 0.01, "currency": "EUR"},
        "status": {"groupId": 3, "groupName": "DELIVERED", "id": 5,
        "name": "DELIVERED_TO_HANDSET", "description": "Message delivered to handset"},
        "error": {"groupId": 0, "groupName": "OK", "id": 5000, "name": "VOICE_ANSWERED",
        "description": "Call answered by human", "permanent": true}}]}""",
        [
            {
                "channel": "voice",
                "state": "delivered",
                "sent_at": "2018-06-25T13:38:14.730Z",
                "done_at": "2018-06-25T13:38:28.316Z",
                "price": 0.3,  # 0.01 a second, 30 charged seconds
                "currency": "EUR",
            }
        ],
    ),
    Case(
        "github.com/infobip/infobip-api-java-client src/test/java/com/infobip/api/"
        "ApiErrorResponsesTest.java (badRequestResponse)",
        "infobip",
        """{"requestError": {"serviceException": {"messageId": "BAD_REQUEST",
        "text": "Bad request", "validationErrors": {"messages[0].text": ["invalid text"]}}}}""",
        [
            {
                "message_id": "request",
                "state": "rejected",
                "reason": "request_invalid",
                "retry": "after_fix",
            }
        ],
    ),
    Case(
        "github.com/infobip/infobip-api-php-client Test/Api/ApiErrorResponsesTest.php"
        " (the v3 error answer, E400)",
        "infobip",
        """{"errorCode": "E400", "description": "Request cannot be processed.",
        "action": "Check the syntax, violations and adjust the request.", "violations": [],
        "resources": [{"name": "API endpoint documentation",
        "url": "https://www.infobip.com/docs/api/send-sms-messages"}]}""",
        [{"message_id": "request", "state": "rejected", "reason": "request_invalid"}],
    ),
    Case(
        "github.com/infobip/infobip-api-php-client Test/Api/ApiErrorResponsesTest.php"
        " (the v3 error answer, E500: read, its code kept)",
        "infobip",
        """{"errorCode": "E500", "description": "Something went wrong.",
        "action": "Something went wrong. Please contact support.", "violations": [],
        "resources": [{"name": "API endpoint documentation",
        "url": "https://www.infobip.com/docs/api/send-sms-messages"}]}""",
        [{"message_id": "request", "channel": "other", "source": "infobip.api_error"}],
    ),
    Case(
        "github.com/infobip/infobip-api-php-client Test/Api/Email/EmailWebhookTest.php"
        " (testReportSerialization)",
        "infobip",
        """{"results": [{"bulkId": "aszzmbhu62l7bxkhmyrj",
        "price": {"pricePerMessage": 0, "currency": "UNKNOWN"},
        "status": {"id": 5, "groupId": 3, "groupName": "DELIVERED",
        "name": "DELIVERED_TO_HANDSET", "description": "Message delivered to handset"},
        "error": {"id": 0, "name": "NO_ERROR", "description": "No Error", "groupId": 0,
        "groupName": "OK", "permanent": false},
        "messageId": "hgtesn8bcmc71pujp92d", "doneAt": "2020-09-08T05:27:59.256+00:00",
        "smsCount": 1, "sentAt": "2020-09-08T05:27:57.628+00:00",
        "browserLink": "http://tracking.domain.com/render/content?id=9A31C6F61DBAE9664D74C7A5",
        "callbackData": "something you want back", "to": "john.doe@gmail.com"}]}""",
        [{"channel": "email", "state": "delivered", "recipient": "john.doe@gmail.com"}],
    ),
    Case(
        "github.com/infobip/infobip-api-php-client Test/Api/Email/EmailWebhookTest.php"
        " (testTrackingReportSerialization: an OPENED tracking notification)",
        "infobip",
        """{"notificationType": "OPENED", "domain": "mydomain.com",
        "recipient": "john.doe@somedomain.com", "sendDateTime": 1599542877689,
        "messageId": "14b734recsf69n8zkao5", "bulkId": "ikzzmbhu6223bxkhmyrj",
        "recipientInfo": {"deviceType": "Phone", "os": "iOS 12", "deviceName": "Apple"},
        "geoLocation": {"city": "Los Angeles", "countryName": "United States"}}""",
        [
            {
                "message_id": "14b734recsf69n8zkao5",
                "channel": "email",
                "state": "delivered",
                "final": True,
                "recipient": "john.doe@somedomain.com",
                "sent_at": "2020-09-08T05:27:57.689Z",
                "source": "infobip.email_tracking",
            }
        ],
    ),
    Case(
        "github.com/infobip/infobip-api-php-client Test/Api/MessagesAPI/"
        "MessagesApiWebhookSerializationTest.php (testReceiveDeliveryReports)",
        "infobip",
        """{"results": [{"event": "DELIVERY", "channel": "WHATSAPP", "sender": "senderNumber",
        "destination": "41793026727", "sentAt": "2024-02-06T14:18:29.797+0000",
        "doneAt": "2024-02-06T17:18:29.797+0000", "bulkId": "1688025180464000013",
        "messageId": "ABEGVUGWh3gEAgo-sLTvmQCS5kwjhsy", "messageCount": 1,
        "status": {"groupId": 3, "groupName": "DELIVERED", "id": 5,
        "name": "DELIVERED_TO_HANDSET", "description": "Message delivered to handset"},
        "error": {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR",
        "description": "No Error", "permanent": false},
        "platform": {"entityId": "my-entity-id", "applicationId": "my-application-id"},
        "campaignReferenceId": "campaignRef"}]}""",
        [{"channel": "chat", "state": "delivered", "recipient": "+41793026727"}],
    ),
    Case(
        "github.com/infobip/infobip-api-php-client Test/Api/WhatsApp/WhatsappWebhookTest.php"
        " (testReceiveWhatsappSeenReports)",
        "infobip",
        """{"results": [{"messageId": "1215f543ab19-345f-adbd-12ad31451ed25f35",
        "from": "385919998888", "to": "41793026731", "sentAt": "2018-12-12T11:21:57.793+00:00",
        "seenAt": "2018-12-12T11:21:58.251+00:00", "applicationId": "example-application-id",
        "entityId": "example-entity-id"}]}""",
        [{"channel": "chat", "state": "delivered", "done_at": "2018-12-12T11:21:58.251Z"}],
    ),
    Case(
        "github.com/infobip/infobip-api-php-client Test/Api/Sms/SmsWebhookTest.php"
        " (testReceiveOutboundSmsMessageReport: two reports in one post)",
        "infobip",
        """{"results": [{"bulkId": "BULK-ID-123-xyz",
        "price": {"pricePerMessage": 0.01, "currency": "EUR"},
        "status": {"groupId": 3, "groupName": "DELIVERED", "id": 5,
        "name": "DELIVERED_TO_HANDSET", "description": "Message delivered to handset"},
        "error": {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR",
        "description": "No Error", "permanent": false},
        "messageId": "MESSAGE-ID-123-xyz", "to": "41793026727", "sender": "InfoSMS",
        "sentAt": "2019-11-09T16:00:00.000+01:00", "doneAt": "2019-11-09T16:00:00.000+01:00",
        "messageCount": 1, "platform": {"entityId": "promotional-traffic-entity",
        "applicationId": "marketing-automation-application"}},
        {"bulkId": "BULK-ID-123-xyz", "price": {"pricePerMessage": 0.01, "currency": "EUR"},
        "status": {"groupId": 3, "groupName": "DELIVERED", "id": 5,
        "name": "DELIVERED_TO_HANDSET", "description": "Message delivered to handset"},
        "error": {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR",
        "description": "No Error", "permanent": false},
        "messageId": "12db39c3-7822-4e72-a3ec-c87442c0ffc5", "to": "41793026834",
        "sender": "InfoSMS", "sentAt": "2019-11-09T17:00:00.000+01:00",
        "doneAt": "2019-11-09T17:00:00.000+01:00", "messageCount": 1,
        "platform": {"entityId": "promotional-traffic-entity",
        "applicationId": "marketing-automation-application"}}]}""",
        [
            {
                "message_id": "MESSAGE-ID-123-xyz",
                "channel": "sms",
                "state": "delivered",
                "recipient": "+41793026727",
                "done_at": "2019-11-09T15:00:00Z",
            },
            {
                "message_id": "12db39c3-7822-4e72-a3ec-c87442c0ffc5",
                "state": "delivered",
                "recipient": "+41793026834",
                "done_at": "2019-11-09T16:00:00Z",
            },
        ],
    ),
    # Infobip's WhatsApp, Viber, RCS and MMS reports have the SMS report's shape and name no
    # channel: read alone they cannot say they are not SMS (the webhook's ?channel= tells;
    # test_per_channel_reports_take_the_subscription_channel below). Channel is not asserted.
    Case(
        "github.com/infobip/infobip-api-php-client Test/Api/Viber/"
        "ViberWebhookSerializationTest.php (testReceiveViberDeliveryReports)",
        "infobip",
        """{"results": [{"bulkId": "a28dd97c-2222-4fcf-99f1-0b557ed381da",
        "price": {"pricePerMessage": 0.15, "currency": "EUR"},
        "status": {"groupId": 3, "groupName": "DELIVERED", "id": 5,
        "name": "DELIVERED_TO_HANDSET", "description": "Message delivered to handset"},
        "error": {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR",
        "description": "No Error", "permanent": false},
        "messageId": "2250be2d4219-3af1-78856-aabe-1362af1edfd2", "to": "441134960001",
        "sender": "441134960000", "sentAt": "2023-02-01T23:00:00.000+00:00",
        "doneAt": "2023-02-03T00:01:01.000+00:00", "messageCount": 1, "mccMnc": "22801",
        "callbackData": "Callback data", "platform": {"entityId": "promotional-traffic-entity",
        "applicationId": "marketing-automation-application"}}]}""",
        [
            {
                "message_id": "2250be2d4219-3af1-78856-aabe-1362af1edfd2",
                "state": "delivered",
                "final": True,
                "recipient": "+441134960001",
                "sender": "441134960000",
                "sent_at": "2023-02-01T23:00:00Z",
                "done_at": "2023-02-03T00:01:01Z",
                "price": 0.15,
                "currency": "EUR",
                "segments": 1,
            }
        ],
    ),
    Case(
        "github.com/infobip/infobip-api-php-client Test/Api/Viber/"
        "ViberWebhookSerializationTest.php (testReceiveViberSeenReports)",
        "infobip",
        """{"results": [{"messageId": "1215f543ab19-345f-adbd-12ad31451ed25f35",
        "from": "385919998888", "to": "41793026731", "sentAt": "2023-04-05T11:21:57.793+00:00",
        "seenAt": "2023-04-05T11:22:10.251+00:00", "applicationId": "example-application-id",
        "entityId": "example-entity-id", "campaignReferenceId": "campaignRefId"}]}""",
        [
            {
                "channel": "chat",
                "state": "delivered",
                "recipient": "+41793026731",
                "sent_at": "2023-04-05T11:21:57.793Z",
                "done_at": "2023-04-05T11:22:10.251Z",
                "source": "infobip.seen_report",
            }
        ],
    ),
    Case(
        "github.com/infobip/infobip-api-php-client Test/Api/WhatsApp/WhatsappWebhookTest.php"
        " (testReceiveWhatsappDeliveryReports: a blank bulkId, times at -03:00)",
        "infobip",
        """{"results": [{"bulkId": "", "price": {"pricePerMessage": 0.21, "currency": "BRL"},
        "status": {"id": 5, "groupId": 3, "groupName": "DELIVERED",
        "name": "DELIVERED_TO_HANDSET", "description": "Message delivered to handset"},
        "error": {"id": 0, "name": "NO_ERROR", "description": "No Error", "groupId": 0,
        "groupName": "OK", "permanent": false},
        "messageId": "fb469d73-d362-463f-b30f-1e959b53badc",
        "doneAt": "2019-04-09T16:01:56.494-03:00", "messageCount": 1,
        "sentAt": "2019-04-09T16:00:58.647-03:00", "to": "41793026731"}]}""",
        [
            {
                "message_id": "fb469d73-d362-463f-b30f-1e959b53badc",
                "state": "delivered",
                "recipient": "+41793026731",
                "sent_at": "2019-04-09T19:00:58.647Z",
                "done_at": "2019-04-09T19:01:56.494Z",
                "price": 0.21,
                "currency": "BRL",
            }
        ],
    ),
    Case(
        "github.com/infobip/infobip-api-php-client Test/Api/MessagesAPI/"
        "MessagesApiWebhookSerializationTest.php (testReceiveSeenReports)",
        "infobip",
        """{"results": [{"event": "SEEN", "channel": "WHATSAPP", "sender": "senderNumber",
        "destination": "41793026727", "sentAt": "2024-02-06T14:18:29.797+00:00",
        "seenAt": "2024-02-06T14:28:29.797+00:00", "bulkId": "1688025180464000013",
        "messageId": "ABEGVUGWh3gEAgo-sLTvmQCS5kwjhsy",
        "callbackData": "reference-callback-data-from-outbound-message",
        "platform": {"entityId": "my-entity-id", "applicationId": "my-application-id"},
        "campaignReferenceId": "campaignRef"}]}""",
        [
            {
                "message_id": "ABEGVUGWh3gEAgo-sLTvmQCS5kwjhsy",
                "channel": "chat",
                "state": "delivered",
                "final": True,
                "recipient": "+41793026727",
                "sender": "senderNumber",
                "done_at": "2024-02-06T14:28:29.797Z",
            }
        ],
    ),
    Case(
        "github.com/infobip/infobip-api-java-client src/test/java/com/infobip/api/"
        "MmsApiTest.java (shouldGetMmsDeliveryReports, as its String.format writes it)",
        "infobip",
        """{
  "results": [
    {
      "bulkId": "3746923784",
      "price": {
        "pricePerMessage": 1.000000,
        "currency": "EUR"
      },
      "status": {
        "groupId": 3,
        "groupName": "DELIVERED",
        "id": 5,
        "name": "DELIVERED_TO_HANDSET",
        "description": "Message delivered to handset"
      },
      "messageId": "43u2ih-6453jbh-897kfs90u2nj",
      "sender": "441134960000",
      "sentAt": "2025-01-20T13:06:33.968+0000",
      "doneAt": "2025-01-20T13:06:33.968+0000",
      "messageCount": 3
    }
  ]
}
""",
        [
            {
                "message_id": "43u2ih-6453jbh-897kfs90u2nj",
                "state": "delivered",
                "recipient": None,
                "sender": "441134960000",
                "done_at": "2025-01-20T13:06:33.968Z",
                "price": 1.0,
                "currency": "EUR",
                "segments": 3,
            }
        ],
    ),
    # --- Plivo --------------------------------------------------------------------------------
    Case(
        "github.com/plivo/plivo-python tests/resources/fixtures/callListResponse.json"
        " (first object: a Call object without hangup cause, answered)",
        "plivo",
        """{"api_id": "8299d094-dc72-11e5-b56c-22000ae90795", "meta": {"limit": 20,
        "next": null, "offset": 0, "previous": null, "total_count": 4}, "objects": [
        {"answer_time": "2015-07-26 15:45:02+05:30",
        "api_id": "06ae0f8f-dc72-11e5-b56c-22000ae90795", "bill_duration": 924,
        "billed_duration": 960, "call_direction": "outbound", "call_duration": 924,
        "call_uuid": "eba53b9e-8fbd-45c1-9444-696d2172fbc8",
        "end_time": "2015-07-26 15:45:14+05:30", "from_number": "+14158572518",
        "initiation_time": "2015-07-26 15:44:49+05:30", "parent_call_uuid": null,
        "to_number": "14153268174", "total_amount": "0.13600", "total_rate": "0.00850"}]}""",
        [
            {
                "message_id": "eba53b9e-8fbd-45c1-9444-696d2172fbc8",
                "channel": "voice",
                "state": "delivered",
                "final": True,
                "recipient": "+14153268174",
                "sent_at": "2015-07-26T10:14:49Z",
                "done_at": "2015-07-26T10:15:14Z",
                "price": 0.136,
                "currency": "USD",
            }
        ],
    ),
    Case(
        "github.com/plivo/plivo-go fixtures/callGetResponse.json (never answered, no cause:"
        " nothing says why, so the outcome stays unknown)",
        "plivo",
        """{"answer_time": null, "api_id": "95727cf4-3eeb-11e7-8edf-02ed609bd62b",
        "bill_duration": 0, "billed_duration": 0, "call_direction": "outbound",
        "call_duration": 0, "call_uuid": "4d04c52e-cea3-4458-bbdb-0bfc314ee7cd",
        "end_time": "2017-05-22 17:49:40+05:30", "from_number": "+919879879876",
        "initiation_time": "2017-05-22 17:49:30+05:30", "parent_call_uuid": null,
        "to_number": "919999999999", "total_amount": "0.00000", "total_rate": "0.03570",
        "stir_verification": "Not Applicable", "voice_network_group": "India All Networks",
        "stir_attestation": "", "cnam_lookup_number_config": ""}""",
        [{"state": "unknown", "done_at": "2017-05-22T12:19:40Z", "price": 0.0}],
    ),
    Case(
        "github.com/plivo/plivo-java src/test/resources/com/plivo/api/callGetResponse.json"
        " (hangup_cause_code 4010 End Of XML Instructions, call_status ANSWER)",
        "plivo",
        """{"answer_time": null, "api_id": "95727cf4-3eeb-11e7-8edf-02ed609bd62b",
        "bill_duration": 0, "billed_duration": 0, "call_direction": "outbound",
        "call_duration": 0, "call_status": "ANSWER",
        "call_uuid": "4d04c52e-cea3-4458-bbdb-0bfc314ee7cd",
        "end_time": "2017-05-22 17:49:40+05:30", "from_number": "+919879879876",
        "initiation_time": "2017-05-22 17:49:30+05:30", "parent_call_uuid": null,
        "to_number": "919999999999", "total_amount": "0.00000", "total_rate": "0.03570",
        "hangup_cause_name": "End Of XML Instructions", "hangup_cause_code": 4010,
        "hangup_source": "Plivo", "voice_network_group": "India All Networks",
        "source_ip": "127.0.0.1", "cnam_lookup": "disabled"}""",
        [
            {
                "message_id": "4d04c52e-cea3-4458-bbdb-0bfc314ee7cd",
                "state": "delivered",
                "final": True,
                "decided_by": "catalog:plivo:hangup_cause:voice:4010",
                "sent_at": "2017-05-22T12:19:30Z",
                "done_at": "2017-05-22T12:19:40Z",
            }
        ],
    ),
    Case(
        "github.com/plivo/plivo-python tests/resources/fixtures/messageGetResponse.json",
        "plivo",
        """{"api_id": "95747262-3f08-11e7-8bc8-065f6a74a84a", "error_code": null,
        "from_number": "911231231230", "message_direction": "outbound",
        "message_state": "sent", "message_time": "2017-05-22 21:36:14+05:30",
        "message_type": "sms", "message_uuid": "5b40a428-bfc7-4daf-9d06-726c558bf3b8",
        "to_number": "911231231231", "total_amount": "0.00250", "total_rate": "0.00250",
        "units": 1, "message_sent_time": "2024-08-21 18:28:49.244057+05:30",
        "message_updated_time": "2024-08-21 18:28:51.94772+05:30", "error_message": ""}""",
        [
            {
                "state": "pending",
                "final": False,
                "sent_at": "2024-08-21T12:58:49.244057Z",
                "price": 0.0025,
                "segments": 1,
            }
        ],
    ),
    Case(
        "docs.plivo.com/docs/messaging/api/response (success response example)",
        "plivo",
        """{"api_id": "db342550-7f1d-11e1-8ea7-1231380bc196", "message": "message(s) queued",
        "message_uuid": ["db3ce55a-7f1d-11e1-8ea7-1231380bc196"]}""",
        [{"message_id": "db3ce55a-7f1d-11e1-8ea7-1231380bc196", "state": "accepted"}],
    ),
    Case(
        "docs.plivo.com/docs/messaging/api/response (error response example)",
        "plivo",
        """{"api_id": "97ceeb52-58b6-11e1-86da-77300b68f8bb", "error": "not found"}""",
        [{"message_id": "request", "channel": "other", "state": "unknown", "final": False}],
    ),
    Case(
        "plivo.com/docs/messaging/api/response/response-examples (error example)",
        "plivo",
        """{"api_id": "97ceeb52-58b6-11e1-86da-77300b68f8bb",
        "error": "answer_url parameter is missing",
        "request_uuid": "56hf4856-8638-11e0-802c-65j6gd39954e"}""",
        [{"message_id": "request", "state": "unknown", "source": "plivo.api_error"}],
    ),
    Case(
        "github.com/plivo/plivo-go fixtures/lookupGetError.json",
        "plivo",
        """{"api_id": "e2627405-543d-4280-bdfc-a9777073838d", "error_code": 404,
        "message": "Phone number is invalid or does not exist."}""",
        [{"message_id": "request", "state": "unknown", "source": "plivo.api_error"}],
    ),
    Case(
        "github.com/plivo/plivo-go fixtures/liveCallGetResponse.json (a call still under way:"
        " nothing final yet)",
        "plivo",
        """{"api_id": "18f3bbb0-3ef1-11e7-a68e-02d2f90c026e", "call_status": "in-progress",
        "call_uuid": "d0a87a1a-b0e9-4ab2-ac07-c22ee87cd04a", "caller_name": "",
        "direction": "outbound", "from": "+918687888990",
        "request_uuid": "d0a87a1a-b0e9-4ab2-ac07-c22ee87cd04a",
        "session_start": "2017-05-22 13:17:49.050872", "to": "919798990001",
        "stir_verification": "Verified"}""",
        [
            {
                "message_id": "d0a87a1a-b0e9-4ab2-ac07-c22ee87cd04a",
                "channel": "voice",
                "state": "unknown",
                "final": False,
                "recipient": "+919798990001",
                "sender": "+918687888990",
                "source": "plivo.call_object",
            }
        ],
    ),
    # --- SMPP ---------------------------------------------------------------------------------
    Case(
        "OpenSMPP's client tests, org/smpp/pdu/DeliverSMTest.java (a whole deliver_sm in hex:"
        " receipt text plus receipted_message_id, message_state 5 and a vendor TLV)",
        "smpp",
        "000000d40000000500000000000041403537373200010132353437323131343831393100030035373732"
        "000400010000010003007a69643a30393636323739333432207375623a30303120646c7672643a303031"
        "207375626d697420646174653a3133303330363037303420646f6e6520646174653a3133303330363037"
        "303520737461743a554e44454c4956206572723a30303020746578743a494e534f20414c4552542c2031"
        "3030302c204461001e000b30393636323739333432000427000105140100"
        "0d736166617269636f6d2d6b6500",
        [
            {
                "message_id": "0966279342",
                "state": "undelivered",
                "final": True,
                "recipient": "+254721148191",  # source_addr: the handset
                "sender": "5772",
                "sent_at": "2013-03-06T07:04:00Z",
                "done_at": "2013-03-06T07:05:00Z",
            }
        ],
    ),
    Case(
        "org.bulatnig.smpp's SmscDeliveryReceiptTest.java (test3: err:1 in one digit)",
        "smpp",
        "id:b756c4f97aa2e1e67377dffc5e2f7d9b sub:001 dlvrd:0 submit date:0610191211"
        " done date:0610191211 stat:REJECTD err:1 text:This is an Acti",
        [
            {
                "message_id": "b756c4f97aa2e1e67377dffc5e2f7d9b",
                "state": "rejected",
                "sent_at": "2006-10-19T12:11:00Z",
            }
        ],
    ),
    Case(
        "a Kannel dlr-url receiver's comment quoting an SMSC's receipt with HLR fields after"
        " err: (IMSI, MSC, ORN, MCCMNC) and no text:",
        "smpp",
        "id:40072910491427628 sub:001 dlvrd:001 submit date:1007291049 done date:1007291049"
        " stat:DELIVRD err:000 IMSI:219101100935850 MSC:38591016 HLR:38591xxxxxxx ORN:VipNet"
        " PON:VipNet RON:VipNet ROC:HR MCCMNC:21910",
        [{"message_id": "40072910491427628", "state": "delivered", "final": True}],
    ),
    Case(
        "help.nexmo.com How to read a Nexmo SMPP Delivery Receipt (the example receipt)",
        "smpp",
        "id:0000000012345678 sub:001 dlvrd:001 submit date:1601010100 done date:1601010101"
        " stat:DELIVRD err:000 text:none",
        [
            {
                "message_id": "0000000012345678",
                "state": "delivered",
                "sent_at": "2016-01-01T01:00:00Z",
                "done_at": "2016-01-01T01:01:00Z",
            }
        ],
    ),
    Case(
        "smppcenter.com/kb/how-read-smpp-delivery-receipt (dates with seconds, a 20-digit id)",
        "smpp",
        "id:64567564356765435676 sub:001 dlvrd:001 submit date:190608165232"
        " done date:190608165237 stat:DELIVRD err:000 text:Hello World",
        [
            {
                "message_id": "64567564356765435676",
                "state": "delivered",
                "sent_at": "2019-06-08T16:52:32Z",
                "done_at": "2019-06-08T16:52:37Z",
            }
        ],
    ),
    Case(
        "github.com/jookies/jasmin misc/doc/sources/apis/ja-http/receiving-dlr.rst (a level 1"
        " DLR with the example values of its table: the SMSC refused the submit)",
        "smpp",
        "id=16fd2706-8baf-433b-82eb-8c7fada847da&message_status=ESME_RINVNUMDESTS&level=1",
        [
            {
                "message_id": "16fd2706-8baf-433b-82eb-8c7fada847da",
                "state": "rejected",
                "final": True,
                "source": "smpp.jasmin_dlr",
            }
        ],
    ),
    # --- SMSPartner ---------------------------------------------------------------------------
    Case(
        "github.com/smspartnerfr/SMS-API-GO v1/testdata/send_bulksms.json",
        "smspartner",
        """{"success": true, "code": 200, "message_id": 2254444, "currency": "EUR",
        "cost": 0.076, "nbSMS": 2, "SMSResponse_List": [
        {"success": true, "code": 200, "nbSms": 1, "cost": 0.038, "phoneNumber": "+336xxxxxxx1"},
        {"success": true, "code": 200, "nbSms": 1, "cost": 0.038, "phoneNumber": "+336xxxxxxx2"}
        ]}""",
        [
            {
                "message_id": "2254444",
                "state": "accepted",
                "final": False,
                "recipient_raw": "+336xxxxxxx1",
                "segments": 1,
                "price": 0.038,
                "currency": "EUR",
            },
            {
                "message_id": "2254444",
                "state": "accepted",
                "recipient_raw": "+336xxxxxxx2",
                "segments": 1,
                "price": 0.038,
                "currency": "EUR",
            },
        ],
    ),
    Case(
        "github.com/smspartnerfr/SMS-API-GO v1/testdata/send_sms.json",
        "smspartner",
        """{"success": true, "code": 200, "message_id": 2270142, "nb_sms": 1, "cost": 0.04,
        "currency": "EUR", "scheduledDeliveryDate": "2018-08-18 20:00:00"}""",
        [{"message_id": "2270142", "state": "accepted", "segments": 1, "price": 0.04}],
    ),
    Case(
        "github.com/smspartnerfr/SMS-API-GO v1/testdata/status.json",
        "smspartner",
        """{"success": true, "code": 200, "number": "+212620123456", "messageId": "2270142",
        "stopSms": false, "date": "1534615206", "statut": "Delivered", "cost": 0.04,
        "countryCode": "MA", "currency": "EUR"}""",
        [
            {
                "message_id": "2270142",
                "state": "delivered",
                "final": True,
                "recipient": "+212620123456",
                "country": "MA",
                "done_at": "2018-08-18T18:00:06Z",
                "price": 0.04,
                "currency": "EUR",
            }
        ],
    ),
    Case(
        "github.com/smspartnerfr/SMS-API-GO v1/testdata/bulk_status.json",
        "smspartner",
        """{"success": true, "code": 200, "message_id": "2270142", "StatutResponse_List": [
        {"phoneNumber": "+212620123456", "status": "Delivered", "stopSMS": false,
        "date": "1534615206"}]}""",
        [{"message_id": "2270142", "state": "delivered", "recipient": "+212620123456"}],
    ),
    Case(
        "github.com/smspartnerfr/SMS-API-GO v1/testdata/multi_status.json",
        "smspartner",
        """{"success": true, "code": 200, "StatutResponse_List": [
        {"success": true, "code": 200, "phoneNumber": "+212620123456", "messageId": 2270142,
        "status": "Delivered", "date": "1534615206", "stopSms": "0", "isSpam": "0"},
        {"success": false, "code": 4, "phoneNumber": "+212621123456", "messageId": 2270110,
        "status": "Num\\u00e9ro introuvable"}]}""",
        [
            {"message_id": "2270142", "state": "delivered"},
            {"message_id": "2270110", "state": "rejected", "reason": "request_invalid"},
        ],
    ),
    Case(
        "github.com/hoflish/smspartner-go v1/testdata/send_sms_response.json (message_id"
        " written in exponent form)",
        "smspartner",
        """{"success": true, "code": 200, "message_id": 2.264102e+06, "nb_sms": 1,
        "cost": 0.024, "currency": "EUR", "scheduledDeliveryDate": "2018-08-16 17:45:00"}""",
        [
            {
                "message_id": "2264102",
                "state": "accepted",
                "final": False,
                "segments": 1,
                "price": 0.024,
                "currency": "EUR",
            }
        ],
    ),
    Case(
        "github.com/smspartnerfr/SMS-API-GO v1/testdata/send_sms_error.json",
        "smspartner",
        """{"success": false, "code": 9, "error": [
        {"elementId": "children[message].data", "message": "Le message est requis"},
        {"elementId": "children[sender].data",
        "message": "L'emetteur ne peut pas etre plus long que 11 caracteres"}]}""",
        [
            {
                "message_id": "request",
                "state": "rejected",
                "reason": "request_invalid",
                "retry": "after_fix",
                "party": "sender",
            }
        ],
    ),
    Case(
        "docpartner.dev/api/sms-partner/gestion-des-webhooks (STOP reply, POST JSON; the"
        " number is elided there, a full one here)",
        "smspartner",
        """{"type": "stop", "phone_number": "+33612345678", "text": "Stop",
        "message_id": 111111}""",
        [
            {
                "message_id": "111111",
                "recipient": "+33612345678",
                "source": "smspartner.stop",
            }
        ],
    ),
    Case(
        "docpartner.dev/api/voice-partner/gestion-des-webhooks (SMS vocal status, POST JSON)",
        "smspartner",
        """{"campaignId": "XHa7GXvhy6zkhQEf4HtHG", "status": "delivered",
        "additionnal_status": "VOICE_ANSWERED", "phoneNumber": "006.........",
        "sendAt": "2026-01-13 11:35:00", "doneAt": "2026-01-13 11:35:12", "duration": 6,
        "audioFileComplementaire": {"status": "Deposit"}}""",
        [
            {
                "message_id": "XHa7GXvhy6zkhQEf4HtHG",
                "channel": "voice",
                "state": "delivered",
                "sent_at": "2026-01-13T10:35:00Z",
                "done_at": "2026-01-13T10:35:12Z",
            }
        ],
    ),
]


def _ids(case: Case) -> str:
    return case.source.split("/")[-1][:40]


@pytest.mark.parametrize("named", [False, True], ids=["detected", "named"])
@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_published_payload(case: Case, named: bool, catalog: Catalog) -> None:
    outcomes = normalize(
        case.body.encode(),
        case.provider if named else None,
        content_type=case.content_type,
        catalog=catalog,
    )
    assert len(outcomes) == len(case.expected)
    for outcome, expected in zip(outcomes, case.expected, strict=True):
        assert outcome.provider == case.provider
        got = {key: getattr(outcome, key) for key in expected}
        got = {key: getattr(value, "value", value) for key, value in got.items()}
        assert got == expected
        for code in outcome.codes:  # every code is kept; an unknown one is listed as such
            assert code.known == (code.entry is not None)
            if not code.known:
                assert outcome.unknown_codes


# The per-channel reports above, read as the subscription they were posted to says: the
# channel its webhook URL names (?channel=), in Infobip's words or ours.
PER_CHANNEL = [
    ("ViberWebhookSerializationTest.php (testReceiveViberDeliveryReports)", "VIBER", "chat"),
    ("WhatsappWebhookTest.php (testReceiveWhatsappDeliveryReports", "whatsapp", "chat"),
    ("MmsApiTest.java (shouldGetMmsDeliveryReports", "MMS", "mms"),
    ("SmsWebhookTest.php (testReceiveOutboundSmsMessageReport", "sms", "sms"),
]


@pytest.mark.parametrize(
    ("source", "hint", "channel"), PER_CHANNEL, ids=[p[1] for p in PER_CHANNEL]
)
def test_per_channel_reports_take_the_subscription_channel(
    source: str, hint: str, channel: str, catalog: Catalog
) -> None:
    case = next(c for c in CASES if source in c.source)
    reports = infobip.parse(case.body.encode(), "application/json", channel=hint)
    assert [r.channel.value for r in reports] == [channel] * len(case.expected)
    outcomes = [Classifier(catalog).classify(r) for r in reports]
    assert [o.state.value for o in outcomes] == ["delivered"] * len(case.expected)


def test_an_unknown_subscription_channel_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        infobip.parse(CASES[0].body.encode(), "application/json", channel="fax")
    assert caught.value.field == "channel"
