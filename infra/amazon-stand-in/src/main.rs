//! `amazon-stand-in`: serves a generated seller over Amazon's protocols on loopback.
//!
//! `cargo run -p amazon-stand-in -- [--orders N] [--seed S] [--days D] [--port P] [--virtual] [--live]`
//! (`--live`: the seller keeps selling on the clock, brought up to it every 30 s).
//! `cargo run --release -p amazon-stand-in -- bench [ORDERS]`: generation and backfill benchmark.

use amazon_stand_in::limits::Clock;
use amazon_stand_in::{generate, router, SellerSpec, StandIn};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut spec = SellerSpec::default();
    let mut port = 3050u16;
    let mut virtual_clock = false;
    let mut live = false;
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("bench") {
        let orders = args
            .nth(1)
            .map(|n| n.parse())
            .transpose()?
            .unwrap_or(100_000);
        amazon_stand_in::bench::run(orders).await;
        return Ok(());
    }
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--orders" => spec.orders = value()?.parse()?,
            "--seed" => spec.seed = value()?.parse()?,
            "--days" => spec.history_days = value()?.parse()?,
            "--products" => spec.products = value()?.parse()?,
            "--port" => port = value()?.parse()?,
            "--virtual" => virtual_clock = true,
            "--live" => live = true,
            "--help" | "-h" => {
                eprintln!("usage: amazon-stand-in [--orders N] [--seed S] [--days D] [--products N] [--port P] [--virtual] [--live]");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let started = std::time::Instant::now();
    let seller = generate(&spec);
    eprintln!(
        "amazon-stand-in: seller {} with {} orders, {} transactions, {} settlements generated in {:?}",
        seller.seller_id,
        seller.orders.len(),
        seller.transactions.len(),
        seller.settlements.len(),
        started.elapsed()
    );
    let end = seller.spec.end;
    let st = if virtual_clock {
        StandIn::virtual_clock(seller, true)
    } else {
        StandIn::new(
            seller,
            Clock::Real {
                started: std::time::Instant::now(),
                at_start: end,
            },
        )
    };
    let refresh = st.issue_refresh_token();
    eprintln!(
        "amazon-stand-in: LWA client id {} secret {}; a refresh token: {refresh}",
        st.apps.client_id, st.apps.client_secret
    );
    if live {
        let st = st.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(30));
            loop {
                every.tick().await;
                if let Err(e) = st.live_tick().await {
                    eprintln!("amazon-stand-in: a notification was not delivered: {e}");
                }
            }
        });
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    eprintln!("amazon-stand-in: http://127.0.0.1:{port} (control: /_stand-in/stats)");
    axum::serve(listener, router(st)).await?;
    Ok(())
}
