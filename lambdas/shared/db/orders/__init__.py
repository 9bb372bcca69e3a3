"""Glasses: frames on the shelf, prescriptions, orders, their events and lab submissions."""
