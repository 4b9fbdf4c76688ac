//! Worst-case render time: pathological article bodies at the size limit, each as deep as the
//! depth limit lets it be, rendered as the article page renders them. Prints one row per body
//! and the worst time; run with `cargo run --release -p conduit-markdown --example render_bench`
//! (or `deploy/bench/markdown`).

use std::time::{Duration, Instant};

use conduit_markdown::{MAX_BYTES, MAX_DEPTH, MAX_HTML_BYTES, check, render};

/// Repeats `unit` up to the size limit.
fn fill(unit: &str) -> String {
    unit.repeat(MAX_BYTES / unit.len())
}

/// Repeats `unit` as long as the body stays storable (the HTML limit binds before the size).
fn fill_storable(unit: &str) -> String {
    let mut body = String::new();
    let mut step = MAX_BYTES / unit.len();
    while step > 0 {
        let longer = format!("{body}{}", unit.repeat(step));
        if check(&longer).is_ok() {
            body = longer;
        } else {
            step /= 2;
        }
    }
    body
}

fn bodies() -> Vec<(&'static str, String)> {
    let quotes = format!("{} q\n\n", ">".repeat(MAX_DEPTH - 1));
    let list: String = (0..MAX_DEPTH / 2 - 1)
        .map(|level| format!("{}- item\n", "  ".repeat(level)))
        .collect();
    let divs = format!(
        "{}x{}\n",
        "<div>".repeat(MAX_DEPTH - 2),
        "</div>".repeat(MAX_DEPTH - 2)
    );
    let mut table = String::from("|a|b|c|d|\n|-|-|-|-|\n");
    let row = "|x|*y*|`z`|[w](https://w.example)|\n";
    table.push_str(&row.repeat((MAX_BYTES - table.len()) / row.len()));
    let wide = format!(
        "{}\n{}\n",
        "|a".repeat(MAX_BYTES / 5),
        "|-".repeat(MAX_BYTES / 5)
    );
    vec![
        ("deep blockquotes", fill_storable(&quotes)),
        ("deep lists", fill_storable(&list)),
        (
            "quotes in lists",
            fill_storable("- > - > - > - > - > - > - > - > x\n\n"),
        ),
        ("nested html", fill(&divs)),
        (
            "misnested html",
            fill("<b><i><a href=\"https://a.example\">x</b></i>"),
        ),
        ("emphasis runs", fill("*a _b")),
        ("brackets", fill("[")),
        ("backticks", fill("`")),
        ("link brackets", fill("[a](")),
        ("huge table", table),
        ("wide table", wide),
        ("entities", fill("&amp;&#x1F600;")),
        (
            "plain prose",
            fill("Lorem ipsum dolor sit amet, consectetur. "),
        ),
    ]
}

fn main() {
    println!("limits: body {MAX_BYTES} B, depth {MAX_DEPTH}, rendered HTML {MAX_HTML_BYTES} B");
    println!(
        "{:<18} {:>8} {:>10} {:>10}",
        "body", "bytes", "html", "render"
    );
    let mut worst = (Duration::ZERO, "");
    for (name, body) in bodies() {
        assert!(body.len() <= MAX_BYTES, "{name}: {} bytes", body.len());
        assert_eq!(check(&body), Ok(()), "{name} must be storable");
        // The best of three, as the machine is shared; each run is the whole render.
        let mut best = Duration::MAX;
        let mut html = 0;
        for _ in 0..3 {
            let started = Instant::now();
            html = render(&body).len();
            best = best.min(started.elapsed());
        }
        println!(
            "{name:<18} {:>8} {html:>10} {:>8.1}ms",
            body.len(),
            best.as_secs_f64() * 1e3
        );
        if best > worst.0 {
            worst = (best, name);
        }
    }
    println!(
        "worst render: {:.1} ms ({})",
        worst.0.as_secs_f64() * 1e3,
        worst.1
    );
}
