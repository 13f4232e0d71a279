if header :comparator { keep; }
