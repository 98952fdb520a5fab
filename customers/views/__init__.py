"""Browser pages of the customers app: the customer list and account 360 page
(`accounts`), the records kept on a customer (`records`), and the scoring, concentration
and service-standard pages (`portfolio`)."""
