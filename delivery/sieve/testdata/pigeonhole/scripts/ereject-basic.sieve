# ereject (RFC 5429 2.1).
require "ereject";
if address :domain :is "from" ["lottery.example", "shop.example"] {
  ereject "Rejected at delivery.";
}
