"""Readers, their cards, and the lists of people who already hold a card."""
