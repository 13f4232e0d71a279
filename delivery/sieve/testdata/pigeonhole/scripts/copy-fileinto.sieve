# :copy keeps the implicit keep.
require ["fileinto", "copy"];
if header :contains "from" "example" {
  fileinto :copy "Copies";
  redirect :copy "copy@example.net";
}
