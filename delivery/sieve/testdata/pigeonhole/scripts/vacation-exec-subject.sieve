# execute
# messages: plain.eml encoded.eml multipart.eml attach.eml
require "vacation";
vacation :addresses "user+shopping@example.com" "Away.";
