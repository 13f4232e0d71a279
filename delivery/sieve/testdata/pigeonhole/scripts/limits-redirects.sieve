# More than four redirects is an error (Pigeonhole's and our default).
if header :contains "subject" "Hello" {
  redirect "a@example.net"; redirect "b@example.net"; redirect "c@example.net";
  redirect "d@example.net"; redirect "e@example.net";
}
