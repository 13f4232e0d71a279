if address :domain :localpart "from" "x" { keep; }
