//! Benchmark (not a test) of the report pipeline on a large settlement file served over HTTP
//! from loopback: download → gunzip → charset (UTF-8, Cp1252 lines) → rows → amounts, against
//! a plain download-and-gunzip of the same file. Each phase runs in its own process so peak
//! memory is per phase; `both` runs the two and prints the ratio:
//!
//! `cargo run --release -p shared --example report_bench -- make /tmp/settlement.tsv.gz 256`
//! `cargo run --release -p shared --example report_bench -- both /tmp/settlement.tsv.gz`
//! (or `plain` / `parse` alone; `both FILE 8` takes the best of 8 runs of each). Add
//! `--no-default-features` to skip building the AWS SDK: the benchmark does not use it.

use rust_decimal::Decimal;
use shared::amazon::flatfile::{stream_document, DecimalStyle};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Instant;

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1024.0
}

/// User plus system CPU time of this process so far (all threads, the loopback server too).
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(')')?.1.split_whitespace().collect::<Vec<_>>();
            // Fields 14 and 15 (utime, stime) are the 12th and 13th after the name.
            let ticks = after.get(11)?.parse::<f64>().ok()? + after.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(0.0)
}

/// Writes a V2 settlement file of about `mib` MiB (uncompressed), gzip-compressed, in
/// Cp1252 with decimal commas, as a German settlement comes.
fn make(path: &str, mib: usize) {
    let file = std::fs::File::create(path).expect("create");
    let mut gz =
        flate2::write::GzEncoder::new(std::io::BufWriter::new(file), flate2::Compression::fast());
    let header = "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\tamount-type\tamount-description\tamount\tfulfillment-id\tposted-date\tposted-date-time\torder-item-code\tmerchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\tpromotion-id\n";
    gz.write_all(header.as_bytes()).unwrap();
    let mut written = header.len();
    let mut i = 0u64;
    let (kinds, _, _) = encoding_rs::WINDOWS_1252.encode("Größe Café");
    let title = kinds.into_owned();
    while written < mib * 1024 * 1024 {
        i += 1;
        let cents = (i * 7919) % 250_000;
        let line = format!(
            "1234567890\t\t\t\t\tEUR\tOrder\t302-{:07}-{:07}\t\t\t\tAmazon.de\tItemPrice\tPrincipal\t{}{},{:02}\tAFN\t05.11.2026\t2026-11-05 10:11:12 UTC\t{:014}\t\t\tSKU-{:05}-",
            i % 10_000_000,
            (i * 31) % 10_000_000,
            if i.is_multiple_of(5) { "-" } else { "" },
            group(cents / 100),
            cents % 100,
            i,
            i % 40_000
        );
        gz.write_all(line.as_bytes()).unwrap();
        gz.write_all(&title).unwrap();
        gz.write_all(b"\t1\t\n").unwrap();
        written += line.len() + title.len() + 4;
    }
    gz.finish().unwrap().flush().unwrap();
    println!(
        "made {path}: {:.0} MiB uncompressed, {:.0} MiB gzip, {i} rows",
        written as f64 / 1048576.0,
        std::fs::metadata(path).unwrap().len() as f64 / 1048576.0
    );
}

fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// Serves the file at `/doc` on loopback, as S3 would (charset in Content-Type).
async fn serve(path: String) -> String {
    use axum::body::Body;
    use axum::routing::get;
    let app = axum::Router::new().route(
        "/doc",
        get(move || {
            let path = path.clone();
            async move {
                let file = tokio::fs::File::open(path).await.expect("open");
                (
                    [("content-type", "text/plain;charset=Cp1252")],
                    Body::from_stream(tokio_util::io::ReaderStream::with_capacity(
                        file,
                        256 * 1024,
                    )),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/doc", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (mode, path) = (
        args.get(1).map(String::as_str).unwrap_or("parse"),
        args.get(2)
            .cloned()
            .unwrap_or("/tmp/settlement.tsv.gz".into()),
    );
    if mode == "both" {
        // Alternate the phases a few times (each in its own process) and compare the best
        // run of each: on a shared machine the best run is the least disturbed one.
        let runs: usize = args.get(3).and_then(|r| r.parse().ok()).unwrap_or(5);
        let me = std::env::current_exe().expect("own path");
        let mut best = [(0.0f64, f64::MAX); 2];
        for _ in 0..runs {
            for (k, phase) in ["plain", "parse"].iter().enumerate() {
                let out = std::process::Command::new(&me)
                    .args([phase, path.as_str()])
                    .output()
                    .expect("run phase");
                let text = String::from_utf8_lossy(&out.stdout).to_string();
                print!("{text}");
                let field = |after: &str| {
                    text.split(after)
                        .nth(1)
                        .and_then(|r| r.split_whitespace().next())
                        .and_then(|r| r.parse::<f64>().ok())
                        .unwrap_or(0.0)
                };
                best[k].0 = best[k].0.max(field(" = "));
                best[k].1 = best[k].1.min(field("cpu "));
            }
        }
        println!(
            "best of {runs}: plain {:.0} MiB/s, parse {:.0} MiB/s, parse / plain = {:.2}x (CPU time parse / plain = {:.2}x)",
            best[0].0,
            best[1].0,
            best[1].0 / best[0].0.max(f64::MIN_POSITIVE),
            best[1].1 / best[0].1.max(f64::MIN_POSITIVE),
        );
        return;
    }
    if mode == "make" {
        make(
            &path,
            args.get(3).and_then(|m| m.parse().ok()).unwrap_or(1024),
        );
        return;
    }
    let url = serve(path).await;
    let http = reqwest::Client::new();
    let started = Instant::now();
    let (bytes, rows, sum) = if mode == "plain" {
        let res = http.get(&url).send().await.unwrap();
        let stream = futures_util::TryStreamExt::map_err(res.bytes_stream(), std::io::Error::other);
        let reader = tokio_util::io::StreamReader::new(stream);
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let mut gz = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(
                tokio_util::io::SyncIoBridge::new_with_handle(reader, handle),
            ));
            let mut buf = vec![0u8; 256 * 1024];
            let mut total = 0u64;
            loop {
                let n = gz.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                total += n as u64;
            }
            (total, 0u64, Decimal::ZERO)
        })
        .await
        .unwrap()
    } else {
        let sum = Arc::new(Mutex::new(Decimal::ZERO));
        let s = sum.clone();
        let streamed = stream_document(&http, &url, move |row| {
            if let Some(a) = row.amount("amount", DecimalStyle::Comma)? {
                *s.lock().unwrap() += a;
            }
            Ok(())
        })
        .await
        .unwrap();
        let total = *sum.lock().unwrap();
        (streamed.bytes_decoded, streamed.rows, total)
    };
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{mode}: {:.0} MiB in {secs:.1} s = {:.0} MiB/s, {rows} rows, sum {sum}, peak RSS {:.0} MiB, cpu {:.2} s",
        bytes as f64 / 1048576.0,
        bytes as f64 / 1048576.0 / secs,
        peak_rss_mib(),
        cpu_seconds()
    );
}
