# reject on some messages.
require "reject";
if header :contains "subject" ["SPAM", "WON"] {
  reject "I do not want this.";
}
