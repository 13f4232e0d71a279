# notify with mailto, valid_notify_method, notify_method_capability.
require ["enotify", "variables"];
if header :contains "subject" "server" {
  notify :importance "1" :message "Server alert"
    "mailto:ops@example.com?subject=Alert";
}
if valid_notify_method ["mailto:a@example.com", "mailto:b@example.com"] {
  notify :from "user@example.com" "mailto:user%2Bnotify@example.com%2Ccc%40example.com";
}
if not valid_notify_method "xmpp:a@example.com" {
  if notify_method_capability "mailto:a@example.com" "online" "maybe" {
    set :encodeurl "enc" "a b&c";
    notify "mailto:me@example.com?subject=${enc}&body=hi";
  }
}
