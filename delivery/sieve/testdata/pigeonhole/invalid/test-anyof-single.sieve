if anyof true { keep; }
