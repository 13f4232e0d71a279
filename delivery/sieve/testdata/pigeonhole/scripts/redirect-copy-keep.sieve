# redirect :copy and keep; a redirect to the same address merges.
require ["copy"];
redirect :copy "one@example.net";
redirect :copy "ONE@EXAMPLE.NET";
redirect "two@example.net";
