"""The safeguarding lead's desk: referrals, actions, chronology per child."""
