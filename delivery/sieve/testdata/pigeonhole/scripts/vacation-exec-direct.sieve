# execute
# messages: plain.eml list.eml encoded.eml subaddress.eml auto.eml group.eml spam.eml attach.eml
require "vacation";
vacation :addresses ["user+work@example.com"] "I am away.";
