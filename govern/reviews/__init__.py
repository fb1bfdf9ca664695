"""Access reviews: campaigns in which department heads certify, revoke or suspend accounts."""
