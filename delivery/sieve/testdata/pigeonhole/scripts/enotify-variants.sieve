# notify importance, options and message variables.
require ["enotify", "variables"];
if header :matches "subject" "*" { set "s" "${1}"; }
notify :importance "3" :options ["k=v", "x=y"] :message "New: ${s}" "mailto:a@example.com";
notify :importance "2" "mailto:b@example.com?subject=Fixed&cc=c@example.com";
notify "mailto:a@example.com";
