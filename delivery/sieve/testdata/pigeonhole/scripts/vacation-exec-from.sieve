# execute
# messages: plain.eml attach.eml
# from: carol@example.com
require "vacation";
vacation :from "Office <office@example.com>" :subject "Closed" "We are closed.";
