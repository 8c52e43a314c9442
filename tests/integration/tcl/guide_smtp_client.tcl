# smtp_client.tcl: the mail client after the move. Plain SMTP to tlsgate on
# loopback; tlsgate does STARTTLS with the server (starttls.yaml).
#   tclsh smtp_client.tcl ?port?        port 2525 by default
set port [expr {$argc > 0 ? [lindex $argv 0] : 2525}]

# Read one SMTP reply (all its lines), print it, return its code.
proc reply {chan} {
    while {[gets $chan line] >= 0} {
        puts "S: $line"
        if {[string index $line 3] ne "-"} {
            return [string range $line 0 2]
        }
    }
    puts stderr "connection closed: tlsgate's log says why"
    exit 1
}

proc command {chan text expect} {
    puts "C: $text"
    puts $chan $text
    if {[reply $chan] ne $expect} {
        exit 1
    }
}

set chan [socket 127.0.0.1 $port]
fconfigure $chan -buffering line -translation crlf
if {[reply $chan] ne "220"} { exit 1 }            ;# the server's own greeting
command $chan "EHLO app.example.com" 250          ;# inside TLS from here on
command $chan "MAIL FROM:<app@example.com>" 250
command $chan "RCPT TO:<ops@example.net>" 250
command $chan "QUIT" 221
close $chan
