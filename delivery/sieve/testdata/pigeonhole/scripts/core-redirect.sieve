# redirect, duplicates of it, and a display name.
if not header :contains "subject" "SPAM" {
  redirect "archive@example.net";
  redirect "Archive <ARCHIVE@Example.NET>";
}
if address :domain :is "from" "example.net" {
  redirect "bob-forward@example.org";
}
