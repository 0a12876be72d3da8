//! Entry point of the nestscope web app (built by trunk).
fn main() {
    nestscope_web::start();
}
