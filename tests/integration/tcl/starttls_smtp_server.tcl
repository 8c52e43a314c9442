# A TclTLS SMTP server that offers STARTTLS and upgrades with
# tls::import -server 1. Every command is printed as PLAIN:<line> or
# TLS:<line>; replies after the upgrade name the TLS version, so a client
# sees that its commands arrived inside TLS. One session at a time.
# Prints "LISTENING <port>" once bound.
#   tclsh starttls_smtp_server.tcl certfile keyfile
package require tls

lassign $argv certfile keyfile

proc reply {chan text} {
    puts $chan $text
    flush $chan
}

proc session {chan} {
    fconfigure $chan -blocking 1 -buffering line -translation crlf
    set tls 0
    reply $chan "220 mx.tcl.test ESMTP TclTLS server"
    while {[gets $chan line] >= 0} {
        puts "[expr {$tls ? {TLS} : {PLAIN}}]:$line"
        flush stdout
        set verb [string toupper [lindex [split $line] 0]]
        if {$verb eq "QUIT"} {
            reply $chan "221 bye"
            break
        } elseif {$verb eq "EHLO" && !$tls} {
            reply $chan "250-mx.tcl.test"
            reply $chan "250 STARTTLS"
        } elseif {$verb eq "STARTTLS" && !$tls} {
            reply $chan "220 ready to start TLS"
            tls::import $chan -server 1 -certfile $::certfile -keyfile $::keyfile
            tls::handshake $chan
            fconfigure $chan -buffering line -translation crlf
            set tls 1
        } elseif {$tls} {
            reply $chan "250 over [dict get [tls::status $chan] version]: $line"
        } else {
            reply $chan "530 5.7.0 Must issue a STARTTLS command first"
        }
    }
    close $chan
    puts "CLOSED"
    flush stdout
}

proc accept {chan addr port} {
    if {[catch {session $chan} err]} {
        puts "ERROR:$err"
        flush stdout
        catch {close $chan}
    }
}

set server [socket -server accept -myaddr 127.0.0.1 0]
puts "LISTENING [lindex [fconfigure $server -sockname] 2]"
flush stdout
vwait forever
