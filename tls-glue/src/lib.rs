//! tls-glue
