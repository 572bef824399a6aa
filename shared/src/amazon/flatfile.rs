//! Amazon's flat files (tab-separated reports) as they really come: gzip or not, UTF-8 or
//! Windows-1252 or Shift_JIS, fully quoted or not, header names with stray spaces, amounts
//! with a decimal point or a decimal comma (per report and per value), and half a dozen date
//! formats. Rows stream in constant memory: the reader decodes whole buffers, splits records
//! on bytes and hands each row to a callback; amounts parse from bytes without allocating.

use super::error::AmazonError;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use encoding_rs::Encoding;
use futures_util::TryStreamExt;
use rust_decimal::Decimal;
use std::io::{BufRead, BufReader, Read};

/// How a report writes decimals. Every amount is first read by itself: `24.99`, `1141,18`,
/// `1.234,56` and `1,234.56` need no hint. The style only settles a value that could be read
/// both ways (`1,234` or `1.234`: a thousands separator or three decimals); `Either` refuses
/// such a value rather than guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalStyle {
    /// The report writes `1234.56` (and groups thousands with a comma, if at all).
    Point,
    /// The report writes `1234,56` (and groups thousands with a point, if at all).
    Comma,
    /// Unknown: an ambiguous amount is an error.
    Either,
}

/// The settlement flat files (both layouts).
pub const SETTLEMENT_V2: &str = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2";
pub const SETTLEMENT_LEGACY: &str = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE";

impl DecimalStyle {
    /// The style of one report type in one marketplace. It depends on the report, not only on
    /// the marketplace: DE/FR/IT/ES settlement files write `1141,18`, while their all-orders
    /// and inventory (MYI) files write `24.99`. Reports we have not seen from those
    /// marketplaces get `Either`.
    pub fn of_report(report_type: &str, marketplace_id: &str) -> Self {
        let country = crate::marketplaces::by_id(marketplace_id).map(|m| m.country_code);
        let comma_country = matches!(country, Some("DE" | "FR" | "IT" | "ES"));
        if !comma_country {
            return DecimalStyle::Point;
        }
        match report_type {
            SETTLEMENT_V2 | SETTLEMENT_LEGACY => DecimalStyle::Comma,
            "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
            | "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
            | "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA"
            | "GET_FBA_MYI_ALL_INVENTORY_DATA"
            | "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL" => DecimalStyle::Point,
            _ => DecimalStyle::Either,
        }
    }
}

/// Why an amount did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountError {
    /// `1,234` or `1.234` with no style to settle it.
    Ambiguous,
    /// Not a number at all, or more digits than a decimal holds.
    Invalid,
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let mut s = 0;
    let mut e = b.len();
    while s < e && b[s].is_ascii_whitespace() {
        s += 1;
    }
    while e > s && b[e - 1].is_ascii_whitespace() {
        e -= 1;
    }
    &b[s..e]
}

/// Whether `digits` (between separators) form valid thousands groups: the first 1 to 3
/// digits, every later group exactly 3.
fn grouped(groups: &[usize]) -> bool {
    groups
        .first()
        .is_some_and(|&first| (1..=3).contains(&first))
        && groups[1..].iter().all(|&g| g == 3)
}

/// A money amount from bytes, without allocating; blank and `--` are `None`.
pub fn parse_amount_bytes(
    text: &[u8],
    style: DecimalStyle,
) -> Result<Option<Decimal>, AmountError> {
    let t = trim_ascii(text);
    if t.is_empty() || (t.len() == 2 && t[0] == b'-' && t[1] == b'-') {
        return Ok(None);
    }
    let (negative, body) = match t[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    if body.is_empty() {
        return Err(AmountError::Invalid);
    }
    // One pass: the digits as an integer, and where the separators are.
    let mut small: u64 = 0;
    let mut mantissa: i128 = 0;
    let mut digits = 0usize;
    let (mut points, mut commas) = (0usize, 0usize);
    let (mut last_point, mut last_comma) = (usize::MAX, usize::MAX);
    for (i, &b) in body.iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                digits += 1;
                if digits <= 18 {
                    small = small * 10 + u64::from(b - b'0');
                } else {
                    if digits == 19 {
                        mantissa = i128::from(small);
                    }
                    if digits > 28 {
                        return Err(AmountError::Invalid);
                    }
                    mantissa = mantissa * 10 + i128::from(b - b'0');
                }
            }
            b'.' => {
                points += 1;
                last_point = i;
            }
            b',' => {
                commas += 1;
                last_comma = i;
            }
            _ => return Err(AmountError::Invalid),
        }
    }
    if digits == 0 {
        return Err(AmountError::Invalid);
    }
    // Which separator, if any, is the decimal one.
    let decimal: Option<u8> = match (points, commas) {
        (0, 0) => None,
        (_, 0) | (0, _) => {
            let (sep, count, last) = if commas == 0 {
                (b'.', points, last_point)
            } else {
                (b',', commas, last_comma)
            };
            if count > 1 {
                None // only thousands groups: `1.234.567`
            } else {
                let after = body.len() - last - 1;
                let before = last;
                if after != 3 || before == 0 || before > 3 || body[0] == b'0' {
                    Some(sep) // cannot be a thousands group
                } else {
                    match (style, sep) {
                        (DecimalStyle::Point, b'.') | (DecimalStyle::Comma, b',') => Some(sep),
                        (DecimalStyle::Point, _) | (DecimalStyle::Comma, _) => None,
                        (DecimalStyle::Either, _) => return Err(AmountError::Ambiguous),
                    }
                }
            }
        }
        _ => {
            // Both: the last one is the decimal separator and appears once.
            let (sep, count) = if last_point > last_comma {
                (b'.', points)
            } else {
                (b',', commas)
            };
            if count != 1 {
                return Err(AmountError::Invalid);
            }
            Some(sep)
        }
    };
    // The integer part must be plain digits or well-formed thousands groups.
    let (int, frac_len) = match decimal {
        Some(sep) => {
            let at = if sep == b'.' { last_point } else { last_comma };
            let frac = &body[at + 1..];
            if frac.is_empty() || !frac.iter().all(u8::is_ascii_digit) {
                return Err(AmountError::Invalid);
            }
            (&body[..at], frac.len())
        }
        None => (body, 0),
    };
    if int.iter().any(|b| !b.is_ascii_digit()) {
        let mut groups = [0usize; 10];
        let mut n = 0;
        for part in int.split(|&b| b == b'.' || b == b',') {
            if n == groups.len() {
                return Err(AmountError::Invalid);
            }
            groups[n] = part.len();
            n += 1;
        }
        let seps_mixed = int.contains(&b'.') && int.contains(&b',');
        if seps_mixed || !grouped(&groups[..n]) {
            return Err(AmountError::Invalid);
        }
    }
    if digits <= 18 {
        let mut d = Decimal::from(small);
        d.set_scale(frac_len as u32)
            .map_err(|_| AmountError::Invalid)?;
        d.set_sign_negative(negative);
        return Ok(Some(d));
    }
    let value = if negative { -mantissa } else { mantissa };
    Decimal::try_from_i128_with_scale(value, frac_len as u32)
        .map(Some)
        .map_err(|_| AmountError::Invalid)
}

/// A money amount from a flat file; blank and `--` (not applicable) are `None`. An amount that
/// could be read two ways under `style`, or is no number, is an error (never a guess).
pub fn parse_amount(text: &str, style: DecimalStyle) -> Result<Option<Decimal>, AmazonError> {
    parse_amount_bytes(text.as_bytes(), style).map_err(|e| amount_error(None, 0, text, e))
}

fn amount_error(column: Option<&str>, line: u64, text: &str, e: AmountError) -> AmazonError {
    let what = match e {
        AmountError::Ambiguous => "ambiguous amount (thousands separator or decimals?)",
        AmountError::Invalid => "not an amount",
    };
    let place = match column {
        Some(c) => format!("column {c:?}, line {line}: "),
        None => String::new(),
    };
    AmazonError::InvalidInput {
        status: 0,
        message: format!("{place}{what}: {:?}", text.trim()),
    }
}

fn zone(abbreviation: &str) -> Option<i32> {
    Some(match abbreviation {
        "UTC" | "GMT" | "Z" => 0,
        "PST" => -8,
        "PDT" => -7,
        "JST" => 9,
        "CET" | "MEZ" | "BST" => 1,
        "CEST" | "MESZ" => 2,
        _ => return None,
    })
}

const DATE_TIMES: [&str; 6] = [
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%d.%m.%Y %H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d.%m.%Y %H:%M",
];
const DATES: [&str; 5] = ["%Y-%m-%d", "%d.%m.%Y", "%Y/%m/%d", "%m/%d/%Y", "%m/%d/%y"];

/// A date or time from a report, keeping its offset: ISO 8601 with any offset
/// (`2023-03-14T07:49:55+09:00`, `…Z`), `2023-03-14 07:49:55 UTC`, `14.03.2023 07:49:55 UTC`,
/// `2023/03/14 …`, `03/14/2023 … PST`, and dates alone (`2023-03-14`, `14.03.2023`,
/// `03/14/23`: Amazon's month-first short date) at midnight UTC. Blank is `None`; anything
/// else is an error.
pub fn parse_report_time(text: &str) -> Result<Option<DateTime<FixedOffset>>, AmazonError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(Some(d));
    }
    for f in ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S%.f%z"] {
        if let Ok(d) = DateTime::parse_from_str(t, f) {
            return Ok(Some(d));
        }
    }
    let (rest, offset) = match t.rsplit_once(' ') {
        Some((rest, z)) if z.bytes().all(|b| b.is_ascii_alphabetic()) => match zone(z) {
            Some(h) => (rest, h),
            None => return Err(time_error(None, 0, text)),
        },
        _ => (t, 0),
    };
    let tz = FixedOffset::east_opt(offset * 3600).expect("whole hours");
    for f in DATE_TIMES {
        if let Ok(n) = NaiveDateTime::parse_from_str(rest, f) {
            if let Some(d) = tz.from_local_datetime(&n).single() {
                return Ok(Some(d));
            }
        }
    }
    if rest.len() == t.len() {
        for f in DATES {
            // `%Y` takes any number of digits: `03/14/23` is not the year 23.
            if (f == "%m/%d/%y") != (t.len() == 8) {
                continue;
            }
            if let Ok(d) = NaiveDate::parse_from_str(t, f) {
                let n = d.and_hms_opt(0, 0, 0).expect("midnight");
                return Ok(Some(tz.from_utc_datetime(&n)));
            }
        }
    }
    for f in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(rest, f) {
            return Ok(Some(tz.from_utc_datetime(&n)));
        }
    }
    Err(time_error(None, 0, text))
}

fn time_error(column: Option<&str>, line: u64, text: &str) -> AmazonError {
    let place = match column {
        Some(c) => format!("column {c:?}, line {line}: "),
        None => String::new(),
    };
    AmazonError::InvalidInput {
        status: 0,
        message: format!("{place}not a date or time Amazon writes: {:?}", text.trim()),
    }
}

/// How to turn a file's bytes into text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// No charset, UTF-8, or a single-byte one: each line that is valid UTF-8 is UTF-8; a
    /// line that is not is in the single-byte charset (Windows-1252 unless another is named).
    /// Amazon's EU listings come in Windows-1252, its EU all-orders files in UTF-8 with no
    /// charset at all.
    Utf8Or(&'static Encoding),
    /// A declared multi-byte charset (Shift_JIS/Windows-31J for JP): the whole file is in it.
    Declared(&'static Encoding),
}

impl Charset {
    /// From the `charset` of a `Content-Type`, with Amazon's Java-style names.
    pub fn from_label(charset: Option<&str>) -> Self {
        let enc = encoding_for(charset);
        if enc == encoding_rs::UTF_8 {
            Charset::Utf8Or(encoding_rs::WINDOWS_1252)
        } else if enc.is_single_byte() {
            Charset::Utf8Or(enc)
        } else {
            Charset::Declared(enc)
        }
    }
}

/// The encoding a `Content-Type` charset names, with Amazon's Java-style names (`Cp1252`,
/// `MS932`, `Windows-31J`). No charset, or one we do not know, is UTF-8: a missing header
/// does not mean Windows-1252.
pub fn encoding_for(charset: Option<&str>) -> &'static Encoding {
    match charset.map(|c| c.trim().trim_matches('"').to_ascii_lowercase()) {
        None => encoding_rs::UTF_8,
        Some(c) => match c.as_str() {
            "cp1252" => encoding_rs::WINDOWS_1252,
            "ms932" | "windows-31j" | "cp932" | "sjis" => encoding_rs::SHIFT_JIS,
            other => Encoding::for_label(other.as_bytes()).unwrap_or(encoding_rs::UTF_8),
        },
    }
}

/// The column names of a file: unquoted, trimmed, without a byte-order mark.
#[derive(Debug, Clone, Default)]
pub struct Header {
    names: Vec<Box<str>>,
    /// The last few lookups, by the address of the name asked for (a row callback asks for
    /// the same literals on every row); a hit is still checked against the name.
    recent: std::cell::Cell<[(usize, u32); 4]>,
    next: std::cell::Cell<u8>,
}

impl Header {
    fn new(names: Vec<Box<str>>) -> Self {
        Header {
            names,
            recent: std::cell::Cell::new([(0, u32::MAX); 4]),
            next: std::cell::Cell::new(0),
        }
    }

    /// The position of a column (exact name after trimming).
    pub fn index(&self, column: &str) -> Option<usize> {
        let key = column.as_ptr() as usize;
        for (at, i) in self.recent.get() {
            if at == key {
                if let Some(name) = self.names.get(i as usize) {
                    // Names are short: compare inline rather than call memcmp.
                    if name.len() == column.len()
                        && name.bytes().zip(column.bytes()).all(|(a, b)| a == b)
                    {
                        return Some(i as usize);
                    }
                }
            }
        }
        let i = self.names.iter().position(|h| &**h == column)?;
        let mut recent = self.recent.get();
        let slot = usize::from(self.next.get()) % recent.len();
        recent[slot] = (key, i as u32);
        self.recent.set(recent);
        self.next.set(self.next.get().wrapping_add(1));
        Some(i)
    }
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(|n| &**n)
    }
    pub fn len(&self) -> usize {
        self.names.len()
    }
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// One data row of a flat file, read by column name.
pub struct Row<'a> {
    header: &'a Header,
    text: &'a str,
    spans: &'a [(u32, u32)],
    line: u64,
}

impl<'a> Row<'a> {
    /// The field under a column; `None` when the file has no such column or the row is short.
    pub fn get(&self, column: &str) -> Option<&'a str> {
        self.header.index(column).and_then(|i| self.at(i))
    }
    /// The field at a position (see [`Header::index`]).
    pub fn at(&self, index: usize) -> Option<&'a str> {
        self.spans
            .get(index)
            .map(|&(s, e)| &self.text[s as usize..e as usize])
    }
    pub fn fields(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.spans
            .iter()
            .map(|&(s, e)| &self.text[s as usize..e as usize])
    }
    pub fn len(&self) -> usize {
        self.spans.len()
    }
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
    /// The file's line number of this row (the header is line 1).
    pub fn line(&self) -> u64 {
        self.line
    }
    pub fn header(&self) -> &'a Header {
        self.header
    }
    /// A money amount; blank, `--` or a missing column are `None`, anything unreadable is an
    /// error naming the column and line.
    pub fn amount(
        &self,
        column: &str,
        style: DecimalStyle,
    ) -> Result<Option<Decimal>, AmazonError> {
        match self.get(column) {
            None => Ok(None),
            Some(t) => self.amount_text(column, t, style),
        }
    }
    /// Like [`Row::amount`] for the field at a position.
    pub fn amount_at(
        &self,
        index: usize,
        style: DecimalStyle,
    ) -> Result<Option<Decimal>, AmazonError> {
        match self.at(index) {
            None => Ok(None),
            Some(t) => {
                let name = self.header.names.get(index).map(|n| &**n).unwrap_or("?");
                self.amount_text(name, t, style)
            }
        }
    }
    fn amount_text(
        &self,
        column: &str,
        t: &str,
        style: DecimalStyle,
    ) -> Result<Option<Decimal>, AmazonError> {
        parse_amount_bytes(t.as_bytes(), style)
            .map_err(|e| amount_error(Some(column), self.line, t, e))
    }
    /// A date or time ([`parse_report_time`]); errors name the column and line.
    pub fn time(&self, column: &str) -> Result<Option<DateTime<FixedOffset>>, AmazonError> {
        match self.get(column) {
            None => Ok(None),
            Some(t) => parse_report_time(t).map_err(|_| time_error(Some(column), self.line, t)),
        }
    }
    /// A whole number (quantities); blank is `None`.
    pub fn integer(&self, column: &str) -> Result<Option<i64>, AmazonError> {
        match self.get(column).map(str::trim) {
            None | Some("") => Ok(None),
            Some(t) => t.parse().map(Some).map_err(|_| AmazonError::InvalidInput {
                status: 0,
                message: format!(
                    "column {column:?}, line {}: not a whole number: {t:?}",
                    self.line
                ),
            }),
        }
    }
}

/// What a streamed file held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Streamed {
    pub rows: u64,
    /// Bytes of text read (after gunzip, before charset decoding).
    pub bytes_decoded: u64,
}

const TABS: u64 = 0x0909_0909_0909_0909;
const QUOTES: u64 = 0x2222_2222_2222_2222;
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// The high bit of each byte of `v` that is zero, and no other bit (exact, no false hits).
fn zero_bytes(v: u64) -> u64 {
    !(((v & LOW7).wrapping_add(LOW7)) | v | LOW7)
}

/// Splits one line into fields. Fields without a `"` are taken as they are; a field that
/// starts with `"` and has its closing `"` right before a tab or the line end is unquoted
/// (`""` inside is one `"`). A `"` anywhere else (`12" pan`) is plain text and never joins
/// fields or lines. Returns the text the spans index into.
fn split<'t>(line: &'t str, spans: &mut Vec<(u32, u32)>, unquoted: &'t mut String) -> &'t str {
    spans.clear();
    let bytes = line.as_bytes();
    // Fields are short (a few bytes): test eight bytes at a time for tabs (and for a quote,
    // which sends the line the careful way) rather than call a search per tab.
    let mut plain = true;
    let mut start = 0u32;
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0u32;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        if zero_bytes(word ^ QUOTES) != 0 {
            plain = false;
            break;
        }
        let mut tabs = zero_bytes(word ^ TABS);
        while tabs != 0 {
            let i = base + tabs.trailing_zeros() / 8;
            spans.push((start, i));
            start = i + 1;
            tabs &= tabs - 1;
        }
        base += 8;
    }
    if plain {
        for (k, &b) in chunks.remainder().iter().enumerate() {
            if b == b'"' {
                plain = false;
                break;
            }
            if b == b'\t' {
                let i = base + k as u32;
                spans.push((start, i));
                start = i + 1;
            }
        }
    }
    if plain {
        spans.push((start, bytes.len() as u32));
        return line;
    }
    spans.clear();
    unquoted.clear();
    let mut start = 0usize;
    loop {
        let end = memchr::memchr(b'\t', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let field = &line[start..end];
        let from = unquoted.len();
        let quoted = field.len() >= 2
            && field.starts_with('"')
            && field.ends_with('"')
            && field[1..field.len() - 1]
                .split("\"\"")
                .all(|part| !part.contains('"'));
        if quoted {
            unquoted.push_str(&field[1..field.len() - 1].replace("\"\"", "\""));
        } else {
            unquoted.push_str(field);
        }
        spans.push((from as u32, unquoted.len() as u32));
        if end == bytes.len() {
            break;
        }
        start = end + 1;
    }
    unquoted
}

struct State<F> {
    header: Option<Header>,
    spans: Vec<(u32, u32)>,
    unquoted: String,
    line: u64,
    out: Streamed,
    on_row: F,
}

impl<F: FnMut(&Row) -> Result<(), AmazonError>> State<F> {
    /// Every line of `text` (complete lines; the last one may lack its newline).
    fn lines(&mut self, text: &str) -> Result<(), AmazonError> {
        let bytes = text.as_bytes();
        let mut start = 0usize;
        while start < bytes.len() {
            let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
            self.one(&text[start..end])?;
            start = end + 1;
        }
        Ok(())
    }

    fn one(&mut self, raw: &str) -> Result<(), AmazonError> {
        self.line += 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.is_empty() {
            return Ok(());
        }
        let mut unquoted = std::mem::take(&mut self.unquoted);
        let result = match &self.header {
            None => {
                let line = line.strip_prefix('\u{feff}').unwrap_or(line);
                let text = split(line, &mut self.spans, &mut unquoted);
                self.header = Some(Header::new(
                    self.spans
                        .iter()
                        .map(|&(s, e)| text[s as usize..e as usize].trim().into())
                        .collect(),
                ));
                Ok(())
            }
            Some(header) => {
                let text = split(line, &mut self.spans, &mut unquoted);
                let row = Row {
                    header,
                    text,
                    spans: &self.spans,
                    line: self.line,
                };
                self.out.rows += 1;
                (self.on_row)(&row)
            }
        };
        self.unquoted = unquoted;
        result
    }

    /// A buffer of complete lines in `charset`.
    fn chunk(
        &mut self,
        mut bytes: &[u8],
        charset: Charset,
        decoded: &mut String,
    ) -> Result<(), AmazonError> {
        match charset {
            Charset::Declared(enc) => {
                decoded.clear();
                let mut decoder = enc.new_decoder_without_bom_handling();
                decoded.reserve(
                    decoder
                        .max_utf8_buffer_length(bytes.len())
                        .unwrap_or(bytes.len() * 3),
                );
                let (_, _, _) = decoder.decode_to_string(bytes, decoded, true);
                let text = std::mem::take(decoded);
                let r = self.lines(&text);
                *decoded = text;
                r
            }
            Charset::Utf8Or(fallback) => loop {
                match std::str::from_utf8(bytes) {
                    Ok(text) => return self.lines(text),
                    Err(e) => {
                        let bad = e.valid_up_to();
                        let line_start = memchr::memrchr(b'\n', &bytes[..bad]).map_or(0, |i| i + 1);
                        let good = std::str::from_utf8(&bytes[..line_start]).expect("valid prefix");
                        self.lines(good)?;
                        let line_end = memchr::memchr(b'\n', &bytes[bad..])
                            .map_or(bytes.len(), |i| bad + i + 1);
                        decoded.clear();
                        let line = &bytes[line_start..line_end];
                        if fallback == encoding_rs::WINDOWS_1252 {
                            cp1252(line, decoded);
                        } else {
                            let mut decoder = fallback.new_decoder_without_bom_handling();
                            decoded.reserve(line.len() * 3);
                            let _ = decoder.decode_to_string(line, decoded, true);
                        }
                        let text = std::mem::take(decoded);
                        let r = self.lines(&text);
                        *decoded = text;
                        r?;
                        bytes = &bytes[line_end..];
                        if bytes.is_empty() {
                            return Ok(());
                        }
                    }
                }
            },
        }
    }
}

/// The position of the first byte that is not ASCII (or the length), eight bytes at a time.
fn first_non_ascii(bytes: &[u8]) -> usize {
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let high = word & 0x8080_8080_8080_8080;
        if high != 0 {
            return at + high.trailing_zeros() as usize / 8;
        }
        at += 8;
    }
    at + chunks
        .remainder()
        .iter()
        .position(|&b| b >= 0x80)
        .unwrap_or(chunks.remainder().len())
}

/// Windows-1252 to UTF-8: ASCII runs copied as they are, other bytes through a table (built
/// once from encoding_rs, so the mapping is the WHATWG one).
fn cp1252(bytes: &[u8], out: &mut String) {
    static HIGH: std::sync::OnceLock<[char; 128]> = std::sync::OnceLock::new();
    let high = HIGH.get_or_init(|| {
        let mut t = ['\u{fffd}'; 128];
        for (i, c) in t.iter_mut().enumerate() {
            let b = [0x80 + i as u8];
            *c = encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(&b)
                .0
                .chars()
                .next()
                .unwrap_or('\u{fffd}');
        }
        t
    });
    let mut utf8 = std::mem::take(out).into_bytes();
    utf8.clear();
    utf8.reserve(bytes.len() + bytes.len() / 2);
    let mut rest = bytes;
    while !rest.is_empty() {
        let ascii = first_non_ascii(rest);
        utf8.extend_from_slice(&rest[..ascii]);
        let Some(&b) = rest.get(ascii) else { break };
        let mut char_bytes = [0u8; 4];
        utf8.extend_from_slice(
            high[usize::from(b - 0x80)]
                .encode_utf8(&mut char_bytes)
                .as_bytes(),
        );
        rest = &rest[ascii + 1..];
    }
    *out = String::from_utf8(utf8).expect("ASCII and whole characters");
}

const CHUNK: usize = 1 << 20;

fn io_error(e: std::io::Error) -> AmazonError {
    AmazonError::Transport {
        message: format!("report stream: {e}"),
        attempts: 1,
    }
}

/// Takes the text in buffers of any size and cut anywhere: complete lines are read straight
/// from the buffer, only a line cut in two is copied (into `carry`).
struct Feeder<F> {
    state: State<F>,
    charset: Charset,
    decoded: String,
    carry: Vec<u8>,
}

impl<F: FnMut(&Row) -> Result<(), AmazonError>> Feeder<F> {
    fn new(charset: Charset, on_row: F) -> Self {
        Feeder {
            state: State {
                header: None,
                spans: Vec::with_capacity(64),
                unquoted: String::new(),
                line: 0,
                out: Streamed::default(),
                on_row,
            },
            charset,
            decoded: String::new(),
            carry: Vec::new(),
        }
    }

    fn feed(&mut self, mut chunk: &[u8]) -> Result<(), AmazonError> {
        self.state.out.bytes_decoded += chunk.len() as u64;
        if !self.carry.is_empty() {
            let Some(i) = memchr::memchr(b'\n', chunk) else {
                self.carry.extend_from_slice(chunk);
                return Ok(());
            };
            self.carry.extend_from_slice(&chunk[..=i]);
            let carry = std::mem::take(&mut self.carry);
            let done = self.state.chunk(&carry, self.charset, &mut self.decoded);
            self.carry = carry;
            self.carry.clear();
            done?;
            chunk = &chunk[i + 1..];
        }
        match memchr::memrchr(b'\n', chunk) {
            Some(i) => {
                self.state
                    .chunk(&chunk[..=i], self.charset, &mut self.decoded)?;
                self.carry.extend_from_slice(&chunk[i + 1..]);
            }
            None => self.carry.extend_from_slice(chunk),
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Streamed, AmazonError> {
        if !self.carry.is_empty() {
            let carry = std::mem::take(&mut self.carry);
            self.state.chunk(&carry, self.charset, &mut self.decoded)?;
        }
        Ok(self.state.out)
    }
}

/// Reads tab-separated rows from bytes (already gunzipped) in `charset`, in constant memory
/// (one buffer of a megabyte, plus the longest line).
pub fn read_rows_in<R: Read>(
    mut reader: R,
    charset: Charset,
    on_row: impl FnMut(&Row) -> Result<(), AmazonError>,
) -> Result<Streamed, AmazonError> {
    let mut feeder = Feeder::new(charset, on_row);
    let mut buf = vec![0u8; CHUNK];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return feeder.finish(),
            Ok(n) => feeder.feed(&buf[..n])?,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(e)),
        }
    }
}

/// Reads tab-separated rows, UTF-8 with Windows-1252 for lines that are not UTF-8.
pub fn read_rows<R: Read>(
    reader: R,
    on_row: impl FnMut(&Row) -> Result<(), AmazonError>,
) -> Result<Streamed, AmazonError> {
    read_rows_in(reader, Charset::Utf8Or(encoding_rs::WINDOWS_1252), on_row)
}

/// Gunzips when the bytes start with the gzip magic (members one after another too);
/// otherwise passes them through.
pub fn gunzipped<R: Read + Send + 'static>(raw: R) -> Box<dyn Read + Send> {
    let mut buffered = BufReader::with_capacity(256 * 1024, raw);
    let gz = buffered
        .fill_buf()
        .map(|b| b.starts_with(&[0x1f, 0x8b]))
        .unwrap_or(false);
    if gz {
        Box::new(flate2::bufread::MultiGzDecoder::new(buffered))
    } else {
        Box::new(buffered)
    }
}

/// Downloads a report document and hands each row to `on_row`, in constant memory. The
/// charset comes from the response's `Content-Type` (see [`Charset::from_label`]).
pub async fn stream_document<F>(
    http: &reqwest::Client,
    url: &str,
    on_row: F,
) -> Result<Streamed, AmazonError>
where
    F: FnMut(&Row) -> Result<(), AmazonError> + Send + 'static,
{
    let res = http
        .get(url)
        .send()
        .await
        .map_err(|e| AmazonError::Transport {
            message: e.without_url().to_string(),
            attempts: 1,
        })?;
    match res.status().as_u16() {
        200 => {}
        403 => {
            return Err(AmazonError::Forbidden(
                "the document URL has expired; fetch the report document again".into(),
            ))
        }
        s => {
            return Err(AmazonError::Server {
                status: s,
                message: "document download failed".into(),
                attempts: 1,
            })
        }
    }
    let charset = res
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| {
            ct.split(';')
                .find_map(|p| p.trim().strip_prefix("charset="))
                .map(str::to_string)
        });
    let charset = Charset::from_label(charset.as_deref());
    let stream = res.bytes_stream().map_err(std::io::Error::other);
    let reader = tokio_util::io::StreamReader::new(stream);
    let handle = tokio::runtime::Handle::current();
    // Gunzip and parse on two threads, handing over a few fixed buffers: the time is the
    // slower of the two instead of their sum, and memory stays at those buffers.
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<u8>>>(PIPE);
    let (free_tx, free_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(PIPE + 2);
    let recycle = free_tx.clone();
    let inflate = tokio::task::spawn_blocking(move || {
        let sync = tokio_util::io::SyncIoBridge::new_with_handle(reader, handle);
        let mut gz = gunzipped(sync);
        loop {
            let mut buf = free_rx.try_recv().unwrap_or_else(|_| vec![0u8; CHUNK]);
            buf.resize(CHUNK, 0);
            let mut filled = 0;
            let result = loop {
                match gz.read(&mut buf[filled..]) {
                    Ok(0) => break Ok(()),
                    Ok(n) => {
                        filled += n;
                        if filled == buf.len() {
                            break Ok(());
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => break Err(e),
                }
            };
            buf.truncate(filled);
            let done = filled == 0 || result.is_err();
            let sent = match result {
                Ok(()) if filled == 0 => Ok(()),
                Ok(()) => full_tx.send(Ok(buf)),
                Err(e) => full_tx.send(Err(e)),
            };
            if done || sent.is_err() {
                return;
            }
        }
    });
    let parsed = tokio::task::spawn_blocking(move || {
        let mut feeder = Feeder::new(charset, on_row);
        for received in full_rx {
            let buf = received.map_err(io_error)?;
            feeder.feed(&buf)?;
            let _ = recycle.try_send(buf);
        }
        feeder.finish()
    })
    .await
    .map_err(|e| AmazonError::Dependency(format!("report task: {e}")))?;
    drop(free_tx);
    inflate
        .await
        .map_err(|e| AmazonError::Dependency(format!("report task: {e}")))?;
    parsed
}

/// Buffers in flight between the gunzip thread and the parser.
const PIPE: usize = 3;

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn rows(bytes: &[u8], charset: Charset) -> (Vec<String>, Vec<Vec<String>>) {
        let mut header = vec![];
        let mut out = vec![];
        read_rows_in(bytes, charset, |r| {
            if header.is_empty() {
                header = r.header().names().map(String::from).collect();
            }
            out.push(r.fields().map(String::from).collect());
            Ok(())
        })
        .unwrap();
        (header, out)
    }

    #[test]
    fn each_amount_decides_its_own_decimal_separator() {
        for style in [
            DecimalStyle::Point,
            DecimalStyle::Comma,
            DecimalStyle::Either,
        ] {
            for (text, value) in [
                ("24.99", "24.99"),
                ("1141,18", "1141.18"),
                ("-0,50", "-0.50"),
                ("2,324.57", "2324.57"),
                ("2.324,57", "2324.57"),
                ("1.234.567", "1234567"),
                ("1,234,567.5", "1234567.5"),
                ("0.125", "0.125"),
                ("1234,567", "1234.567"),
                ("-12", "-12"),
                ("+3.5", "3.5"),
            ] {
                assert_eq!(
                    parse_amount(text, style).unwrap(),
                    Some(d(value)),
                    "{text} under {style:?}"
                );
            }
        }
        // The bug this replaces: a point read as a thousands separator under a comma style.
        assert_eq!(
            parse_amount("2324.57", DecimalStyle::Comma).unwrap(),
            Some(d("2324.57"))
        );
    }

    #[test]
    fn an_ambiguous_amount_needs_the_report_style_and_is_never_guessed() {
        assert_eq!(
            parse_amount_bytes(b"1,234", DecimalStyle::Either),
            Err(AmountError::Ambiguous)
        );
        assert_eq!(
            parse_amount_bytes(b"1.234", DecimalStyle::Either),
            Err(AmountError::Ambiguous)
        );
        assert_eq!(
            parse_amount("1,234", DecimalStyle::Point).unwrap(),
            Some(d("1234"))
        );
        assert_eq!(
            parse_amount("1.234", DecimalStyle::Point).unwrap(),
            Some(d("1.234"))
        );
        assert_eq!(
            parse_amount("1.234", DecimalStyle::Comma).unwrap(),
            Some(d("1234"))
        );
        assert_eq!(
            parse_amount("1,234", DecimalStyle::Comma).unwrap(),
            Some(d("1.234"))
        );
        for junk in [
            "abc",
            "1,2,3",
            "12,34.56.7",
            "1.23,4,5",
            "1..2",
            "-",
            "5.",
            "1 234",
            "€5",
        ] {
            assert!(parse_amount(junk, DecimalStyle::Point).is_err(), "{junk}");
        }
        assert_eq!(parse_amount("", DecimalStyle::Either).unwrap(), None);
        assert_eq!(parse_amount(" -- ", DecimalStyle::Either).unwrap(), None);
    }

    #[test]
    fn a_bad_amount_names_its_column_and_line() {
        let text = "sku\tprice\nA\t1,234\n";
        let err = read_rows(text.as_bytes(), |r| {
            r.amount("price", DecimalStyle::Either).map(|_| ())
        })
        .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("\"price\"") && msg.contains("line 2") && msg.contains("ambiguous"),
            "{msg}"
        );
    }

    #[test]
    fn report_dates_in_every_shape_amazon_writes() {
        let at = |s: &str| parse_report_time(s).unwrap().unwrap();
        let utc = at("2023-03-14T07:49:55+00:00");
        assert_eq!(at("2023-03-14 07:49:55 UTC"), utc);
        assert_eq!(at("14.03.2023 07:49:55 UTC"), utc);
        assert_eq!(at("2023/03/14 07:49:55 UTC"), utc);
        assert_eq!(at("2023-03-14T07:49:55Z"), utc);
        assert_eq!(at("2023-03-14T16:49:55+09:00"), utc);
        assert_eq!(
            at("2023-03-14T16:49:55+09:00").offset().local_minus_utc(),
            9 * 3600
        );
        assert_eq!(at("2023-03-13 23:49:55 PST"), utc);
        let midnight = at("2023-03-14T00:00:00+00:00");
        for day in ["2023-03-14", "14.03.2023", "03/14/2023", "03/14/23"] {
            assert_eq!(at(day), midnight, "{day}");
        }
        assert_eq!(parse_report_time(" ").unwrap(), None);
        for junk in [
            "yesterday",
            "2023-13-45",
            "14.03.2023 07:49:55 XYZ",
            "32.01.2023",
        ] {
            assert!(parse_report_time(junk).is_err(), "{junk}");
        }
        let err = read_rows("purchase-date\nsoon\n".as_bytes(), |r| {
            r.time("purchase-date").map(|_| ())
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("\"purchase-date\""), "{err}");
    }

    #[test]
    fn fully_quoted_files_and_padded_header_names_read_plainly() {
        let text = "\"Date\"\t\"FNSKU\"\t\"Title\"\t\"Ending Warehouse Balance\"\n\"10/31/2026\"\t\"X001\"\t\"Pan \"\"Pro\"\"\"\t\"12\"\n";
        let (header, rows) = rows(text.as_bytes(), Charset::from_label(None));
        assert_eq!(
            header,
            ["Date", "FNSKU", "Title", "Ending Warehouse Balance"]
        );
        assert_eq!(rows, [["10/31/2026", "X001", "Pan \"Pro\"", "12"]]);
        let text = "order-id\tinvoice-business-tax-office \tsku\n1\tAnkara \tS\n";
        read_rows(text.as_bytes(), |r| {
            assert_eq!(r.get("invoice-business-tax-office"), Some("Ankara "));
            assert_eq!(r.get("sku"), Some("S"));
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn a_quote_inside_a_plain_field_swallows_no_tab_or_line() {
        let text = "product-name\tsku\titem-price\n12\" pan\tA\t1.00\n\"Best\" pot\tB\t2.00\nlid \"\tC\t3.00\n";
        let (_, rows) = rows(text.as_bytes(), Charset::from_label(None));
        assert_eq!(
            rows,
            [
                ["12\" pan", "A", "1.00"],
                ["\"Best\" pot", "B", "2.00"],
                ["lid \"", "C", "3.00"]
            ]
        );
    }

    #[test]
    fn utf8_is_detected_first_and_cp1252_only_where_bytes_are_not_utf8() {
        // An EU all-orders file: UTF-8 with Turkish letters, no charset.
        let utf8 = "sku\tship-city\nA\tİstanbul Şişli\nB\tKöln\n";
        let (_, r) = rows(utf8.as_bytes(), Charset::from_label(None));
        assert_eq!(r[0][1], "İstanbul Şişli");
        assert_eq!(r[1][1], "Köln");
        // The same UTF-8 file declared Cp1252 still reads as UTF-8.
        let (_, r) = rows(utf8.as_bytes(), Charset::from_label(Some("Cp1252")));
        assert_eq!(r[0][1], "İstanbul Şişli");
        // A Windows-1252 line (ö = 0xF6) next to a UTF-8 one.
        let mut mixed = b"sku\tcity\nA\tK".to_vec();
        mixed.push(0xf6);
        mixed.extend_from_slice(b"ln \x80\nB\tK\xc3\xb6ln\n");
        let (_, r) = rows(&mixed, Charset::from_label(None));
        assert_eq!(r, [["A", "Köln €"], ["B", "Köln"]]);
        // Shift_JIS when declared.
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("sku\tproduct-name\nA\tまな板\n");
        let (_, r) = rows(&sjis, Charset::from_label(Some("Windows-31J")));
        assert_eq!(r[0][1], "まな板");
        // A byte-order mark and CRLF endings.
        let (h, r) = rows(
            b"\xef\xbb\xbfsku\tqty\r\nA\t1\r\n\r\n",
            Charset::from_label(None),
        );
        assert_eq!(
            (h, r),
            (
                vec!["sku".to_string(), "qty".into()],
                vec![vec!["A".to_string(), "1".into()]]
            )
        );
    }

    /// A reader that hands out a few bytes at a time, to cross every buffer boundary.
    struct Trickle<'a>(&'a [u8], usize);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(self.0.len()).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn rows_survive_buffer_boundaries_and_lines_longer_than_the_buffer() {
        let long = "x".repeat(3 * CHUNK);
        let text = format!("a\tb\n1\t{long}\n2\tK\u{f6}ln\n3\tlast");
        let mut seen = vec![];
        let n = read_rows_in(
            Trickle(text.as_bytes(), 7777),
            Charset::from_label(None),
            |r| {
                seen.push((r.get("a").unwrap().to_string(), r.get("b").unwrap().len()));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(n.rows, 3);
        assert_eq!(n.bytes_decoded, text.len() as u64);
        assert_eq!(
            seen,
            [("1".into(), long.len()), ("2".into(), 5), ("3".into(), 4)]
        );
    }

    #[test]
    fn windows_1252_lines_of_every_length_decode_whole() {
        for pad in 0..20 {
            let mut line = b"sku\tname\nA\t".to_vec();
            line.extend(std::iter::repeat_n(b'x', pad));
            line.extend_from_slice(b"Gr\xf6\xdfe Caf\xe9 \x80");
            line.extend(std::iter::repeat_n(b'y', pad));
            line.push(b'\n');
            let (_, r) = rows(&line, Charset::from_label(None));
            let x = "x".repeat(pad);
            let y = "y".repeat(pad);
            assert_eq!(r[0][1], format!("{x}Größe Café €{y}"));
        }
    }

    #[test]
    fn columns_are_found_by_name_whatever_string_asks() {
        let text = "a\tb\tc\n1\t2\t3\n4\t5\t6\n";
        let mut seen = vec![];
        read_rows(text.as_bytes(), |r| {
            for name in ["c", "a", "b", "c"] {
                let owned = name.to_string();
                seen.push(r.get(&owned).unwrap().to_string());
                seen.push(r.get(name).unwrap().to_string());
            }
            assert_eq!(r.get("d"), None);
            Ok(())
        })
        .unwrap();
        assert_eq!(seen.concat(), "3311223366445566");
    }

    #[test]
    fn the_style_follows_the_report_not_the_marketplace() {
        let de = "A1PA6795UKMFR9";
        assert_eq!(
            DecimalStyle::of_report(SETTLEMENT_V2, de),
            DecimalStyle::Comma
        );
        assert_eq!(
            DecimalStyle::of_report(SETTLEMENT_LEGACY, de),
            DecimalStyle::Comma
        );
        assert_eq!(
            DecimalStyle::of_report("GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL", de),
            DecimalStyle::Point
        );
        assert_eq!(
            DecimalStyle::of_report("GET_FBA_MYI_ALL_INVENTORY_DATA", de),
            DecimalStyle::Point
        );
        assert_eq!(
            DecimalStyle::of_report("GET_FBA_REIMBURSEMENTS_DATA", de),
            DecimalStyle::Either
        );
        assert_eq!(
            DecimalStyle::of_report(SETTLEMENT_V2, "ATVPDKIKX0DER"),
            DecimalStyle::Point
        );
    }
}
