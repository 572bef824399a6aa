//! Where Amazon's APIs live: SP-API per region (production or sandbox), Login with Amazon,
//! the Ads API per region, or any base URL (the stand-in).

use crate::marketplaces::{self, Region};

/// The SP-API host of a region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpApiEndpoint {
    Production(Region),
    Sandbox(Region),
    /// Any base URL, e.g. the stand-in on loopback.
    Custom(String),
}

impl SpApiEndpoint {
    pub fn base_url(&self) -> String {
        let host = |r: &Region| match r {
            Region::NorthAmerica => "na",
            Region::Europe => "eu",
            Region::FarEast => "fe",
        };
        match self {
            SpApiEndpoint::Production(r) => {
                format!("https://sellingpartnerapi-{}.amazon.com", host(r))
            }
            SpApiEndpoint::Sandbox(r) => {
                format!("https://sandbox.sellingpartnerapi-{}.amazon.com", host(r))
            }
            SpApiEndpoint::Custom(url) => url.trim_end_matches('/').to_string(),
        }
    }

    /// The production endpoint serving a marketplace (by Amazon marketplace id).
    pub fn for_marketplace(marketplace_id: &str) -> Option<Self> {
        marketplaces::by_id(marketplace_id).map(|m| SpApiEndpoint::Production(m.region))
    }
}

/// Login with Amazon's token endpoint (the same host for every region).
pub const LWA_TOKEN_URL: &str = "https://api.amazon.com/auth/o2/token";

/// The Ads API host of a region.
pub fn ads_base_url(region: Region) -> &'static str {
    match region {
        Region::NorthAmerica => "https://advertising-api.amazon.com",
        Region::Europe => "https://advertising-api-eu.amazon.com",
        Region::FarEast => "https://advertising-api-fe.amazon.com",
    }
}

/// Seller Central's consent page for a marketplace (the start of the OAuth flow).
pub fn consent_host(country_code: &str) -> &'static str {
    match country_code {
        "US" => "https://sellercentral.amazon.com",
        "CA" => "https://sellercentral.amazon.ca",
        "MX" => "https://sellercentral.amazon.com.mx",
        "BR" => "https://sellercentral.amazon.com.br",
        "UK" | "DE" | "FR" | "IT" | "ES" | "IE" => "https://sellercentral-europe.amazon.com",
        "NL" => "https://sellercentral.amazon.nl",
        "BE" => "https://sellercentral.amazon.com.be",
        "SE" => "https://sellercentral.amazon.se",
        "PL" => "https://sellercentral.amazon.pl",
        "TR" => "https://sellercentral.amazon.com.tr",
        "AE" => "https://sellercentral.amazon.ae",
        "SA" => "https://sellercentral.amazon.sa",
        "EG" => "https://sellercentral.amazon.eg",
        "IN" => "https://sellercentral.amazon.in",
        "ZA" => "https://sellercentral.amazon.co.za",
        "JP" => "https://sellercentral.amazon.co.jp",
        "AU" => "https://sellercentral.amazon.com.au",
        "SG" => "https://sellercentral.amazon.sg",
        _ => "https://sellercentral.amazon.com",
    }
}
