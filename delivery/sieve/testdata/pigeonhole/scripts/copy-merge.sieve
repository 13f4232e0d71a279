# A store to the same folder merges; :copy stays only if it came first.
require ["fileinto", "copy"];
fileinto :copy "Twice";
fileinto "Twice";
redirect :copy "a@example.net";
redirect "a@example.net";
