# execute
# messages: list.eml spam.eml auto.eml plain.eml group.eml
require ["vacation", "vacation-seconds"];
vacation :seconds 86400 :subject "Away" "Away.";
