# vacation-seconds: :seconds, clamped to the minimum period.
require ["vacation-seconds"];
if header :contains "subject" "server" {
  vacation :seconds 3600 :subject "Gone" "Gone fishing.";
} else {
  vacation :seconds 864000 "Away.";
}
