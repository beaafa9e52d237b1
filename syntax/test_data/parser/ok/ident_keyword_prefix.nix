[ iffy inherits lettuce orange thence within rec_ assertion ]
