require ["fileinto" "envelope"];
