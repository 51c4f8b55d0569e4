module aia.local/sts-responder

go 1.24
