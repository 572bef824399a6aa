//! The Amazon Ads API client.
