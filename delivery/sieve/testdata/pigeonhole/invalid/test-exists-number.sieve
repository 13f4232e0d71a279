if exists 5 { keep; }
