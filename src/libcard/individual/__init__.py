"""Individual applications (個人辦證): the public form, e-mail confirmation, staff review,
and the Citizen Digital Certificate path that opens the card at once."""
