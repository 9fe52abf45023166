//! The reference auth server and Tasks API the SDK and the demo talk to.
