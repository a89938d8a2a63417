"""Authorization codes and tokens (tables + Authlib model mixins). Owned by the oauth package."""
