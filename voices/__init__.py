"""Voice registry, styles and consent-gated cloning (see issue 6). Nothing ships yet."""
