//! Amazon's marketplaces and the currencies they trade in: the one table shared by the
//! marketplaces API, the currency API and (later) the Amazon clients.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Region {
    #[serde(rename = "NA")]
    NorthAmerica,
    #[serde(rename = "EU")]
    Europe,
    #[serde(rename = "FE")]
    FarEast,
}

impl Region {
    pub fn code(self) -> &'static str {
        match self {
            Region::NorthAmerica => "NA",
            Region::Europe => "EU",
            Region::FarEast => "FE",
        }
    }
}

/// One Amazon storefront.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Marketplace {
    /// Amazon's marketplace id, e.g. `ATVPDKIKX0DER`.
    pub id: &'static str,
    /// Amazon's country code (`UK` where ISO says GB).
    pub country_code: &'static str,
    pub name: &'static str,
    pub currency: &'static str,
    pub region: Region,
    /// IANA zone of the marketplace's business day (Amazon buckets by it).
    pub time_zone: &'static str,
    pub domain: &'static str,
}

macro_rules! mkt {
    ($id:literal, $cc:literal, $name:literal, $cur:literal, $region:ident, $tz:literal, $domain:literal) => {
        Marketplace {
            id: $id,
            country_code: $cc,
            name: $name,
            currency: $cur,
            region: Region::$region,
            time_zone: $tz,
            domain: $domain,
        }
    };
}

/// Every storefront the Selling Partner API serves.
pub const MARKETPLACES: &[Marketplace] = &[
    mkt!(
        "A2EUQ1WTGCTBG2",
        "CA",
        "Amazon.ca",
        "CAD",
        NorthAmerica,
        "America/Los_Angeles",
        "www.amazon.ca"
    ),
    mkt!(
        "ATVPDKIKX0DER",
        "US",
        "Amazon.com",
        "USD",
        NorthAmerica,
        "America/Los_Angeles",
        "www.amazon.com"
    ),
    mkt!(
        "A1AM78C64UM0Y8",
        "MX",
        "Amazon.com.mx",
        "MXN",
        NorthAmerica,
        "America/Los_Angeles",
        "www.amazon.com.mx"
    ),
    mkt!(
        "A2Q3Y263D00KWC",
        "BR",
        "Amazon.com.br",
        "BRL",
        NorthAmerica,
        "America/Sao_Paulo",
        "www.amazon.com.br"
    ),
    mkt!(
        "A28R8C7NBKEWEA",
        "IE",
        "Amazon.ie",
        "EUR",
        Europe,
        "Europe/Dublin",
        "www.amazon.ie"
    ),
    mkt!(
        "A1RKKUPIHCS9HS",
        "ES",
        "Amazon.es",
        "EUR",
        Europe,
        "Europe/Madrid",
        "www.amazon.es"
    ),
    mkt!(
        "A1F83G8C2ARO7P",
        "UK",
        "Amazon.co.uk",
        "GBP",
        Europe,
        "Europe/London",
        "www.amazon.co.uk"
    ),
    mkt!(
        "A13V1IB3VIYZZH",
        "FR",
        "Amazon.fr",
        "EUR",
        Europe,
        "Europe/Paris",
        "www.amazon.fr"
    ),
    mkt!(
        "AMEN7PMS3EDWL",
        "BE",
        "Amazon.com.be",
        "EUR",
        Europe,
        "Europe/Brussels",
        "www.amazon.com.be"
    ),
    mkt!(
        "A1805IZSGTT6HS",
        "NL",
        "Amazon.nl",
        "EUR",
        Europe,
        "Europe/Amsterdam",
        "www.amazon.nl"
    ),
    mkt!(
        "A1PA6795UKMFR9",
        "DE",
        "Amazon.de",
        "EUR",
        Europe,
        "Europe/Berlin",
        "www.amazon.de"
    ),
    mkt!(
        "APJ6JRA9NG5V4",
        "IT",
        "Amazon.it",
        "EUR",
        Europe,
        "Europe/Rome",
        "www.amazon.it"
    ),
    mkt!(
        "A2NODRKZP88ZB9",
        "SE",
        "Amazon.se",
        "SEK",
        Europe,
        "Europe/Stockholm",
        "www.amazon.se"
    ),
    mkt!(
        "AE08WJ6YKNBMC",
        "ZA",
        "Amazon.co.za",
        "ZAR",
        Europe,
        "Africa/Johannesburg",
        "www.amazon.co.za"
    ),
    mkt!(
        "A1C3SOZRARQ6R3",
        "PL",
        "Amazon.pl",
        "PLN",
        Europe,
        "Europe/Warsaw",
        "www.amazon.pl"
    ),
    mkt!(
        "ARBP9OOSHTCHU",
        "EG",
        "Amazon.eg",
        "EGP",
        Europe,
        "Africa/Cairo",
        "www.amazon.eg"
    ),
    mkt!(
        "A33AVAJ2PDY3EV",
        "TR",
        "Amazon.com.tr",
        "TRY",
        Europe,
        "Europe/Istanbul",
        "www.amazon.com.tr"
    ),
    mkt!(
        "A17E79C6D8DWNP",
        "SA",
        "Amazon.sa",
        "SAR",
        Europe,
        "Asia/Riyadh",
        "www.amazon.sa"
    ),
    mkt!(
        "A2VIGQ35RCS4UG",
        "AE",
        "Amazon.ae",
        "AED",
        Europe,
        "Asia/Dubai",
        "www.amazon.ae"
    ),
    mkt!(
        "A21TJRUUN4KGV",
        "IN",
        "Amazon.in",
        "INR",
        Europe,
        "Asia/Kolkata",
        "www.amazon.in"
    ),
    mkt!(
        "A19VAU5U5O7RUS",
        "SG",
        "Amazon.sg",
        "SGD",
        FarEast,
        "Asia/Singapore",
        "www.amazon.sg"
    ),
    mkt!(
        "A39IBJ37TRP1C6",
        "AU",
        "Amazon.com.au",
        "AUD",
        FarEast,
        "Australia/Sydney",
        "www.amazon.com.au"
    ),
    mkt!(
        "A1VC38T7YXB528",
        "JP",
        "Amazon.co.jp",
        "JPY",
        FarEast,
        "Asia/Tokyo",
        "www.amazon.co.jp"
    ),
];

/// The marketplace with this Amazon id.
pub fn by_id(id: &str) -> Option<&'static Marketplace> {
    MARKETPLACES.iter().find(|m| m.id == id)
}

/// The marketplace with this country code (`GB` is accepted for `UK`).
pub fn by_country(code: &str) -> Option<&'static Marketplace> {
    let code = code.trim().to_uppercase();
    let code = if code == "GB" { "UK".to_string() } else { code };
    MARKETPLACES.iter().find(|m| m.country_code == code)
}

/// A currency we can show and convert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CurrencyInfo {
    pub code: &'static str,
    pub name: &'static str,
    pub symbol: &'static str,
    /// Digits after the decimal point in the currency's minor unit.
    pub minor_units: u8,
}

macro_rules! cur {
    ($code:literal, $name:literal, $sym:literal, $minor:literal) => {
        CurrencyInfo {
            code: $code,
            name: $name,
            symbol: $sym,
            minor_units: $minor,
        }
    };
}

/// Every currency of a marketplace, by code. USD is the base for cross rates.
pub const CURRENCIES: &[CurrencyInfo] = &[
    cur!("AED", "UAE Dirham", "AED", 2),
    cur!("AUD", "Australian Dollar", "A$", 2),
    cur!("BRL", "Brazilian Real", "R$", 2),
    cur!("CAD", "Canadian Dollar", "C$", 2),
    cur!("EGP", "Egyptian Pound", "E£", 2),
    cur!("EUR", "Euro", "€", 2),
    cur!("GBP", "Pound Sterling", "£", 2),
    cur!("INR", "Indian Rupee", "₹", 2),
    cur!("JPY", "Japanese Yen", "¥", 0),
    cur!("MXN", "Mexican Peso", "MX$", 2),
    cur!("PLN", "Polish Zloty", "zł", 2),
    cur!("SAR", "Saudi Riyal", "SAR", 2),
    cur!("SEK", "Swedish Krona", "kr", 2),
    cur!("SGD", "Singapore Dollar", "S$", 2),
    cur!("TRY", "Turkish Lira", "₺", 2),
    cur!("USD", "US Dollar", "$", 2),
    cur!("ZAR", "South African Rand", "R", 2),
];

pub const BASE_CURRENCY: &str = "USD";
