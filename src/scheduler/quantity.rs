//! Resource quantities ("100m", "0.5", "128Mi", "1G") as the numbers the
//! scheduler and kubelet compare: CPU in millicores, memory in bytes. The
//! parsing itself is the api module's.

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

/// A quantity in thousandths of its unit (CPU millicores), rounded up.
pub fn milli_value(quantity: &Quantity) -> Option<i64> {
    parse(&quantity.0).map(|v| (v * 1000.0).ceil() as i64)
}

/// A quantity in whole units (bytes, pods), rounded up.
pub fn value(quantity: &Quantity) -> Option<i64> {
    parse(&quantity.0).map(|v| v.ceil() as i64)
}

fn parse(text: &str) -> Option<f64> {
    crate::api::quantity::parse_quantity(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity(s.to_string())
    }

    #[test]
    fn parses_cpu_and_memory() {
        assert_eq!(milli_value(&q("100m")), Some(100));
        assert_eq!(milli_value(&q("0.5")), Some(500));
        assert_eq!(milli_value(&q("2")), Some(2000));
        assert_eq!(value(&q("128Mi")), Some(134_217_728));
        assert_eq!(value(&q("1G")), Some(1_000_000_000));
        assert_eq!(value(&q("1e3")), Some(1000));
        assert_eq!(value(&q("bogus")), None);
    }
}
