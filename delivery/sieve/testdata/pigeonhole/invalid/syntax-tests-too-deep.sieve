if not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not true { keep; }
