# Match variables from :matches.
require ["variables", "fileinto"];
if header :matches "subject" "*: *" {
  fileinto "Tag-${1}";
}
if address :matches :all "from" "*@*" {
  set "dom" "${2}";
  fileinto "From-${dom}";
}
if header :matches "subject" "H?llo *" { fileinto "${1}-${2}-${0}"; }
