//! A Tasks API client written with freshtoken: the template to copy.
