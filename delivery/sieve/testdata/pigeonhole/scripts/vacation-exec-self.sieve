# execute
# messages: plain.eml
# from: user@example.com
require "vacation";
vacation "Away.";
