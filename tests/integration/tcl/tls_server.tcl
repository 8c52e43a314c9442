# A TclTLS server: tls::socket -server with a certificate; replies to every
# line with "tcl-tls:<line>". Prints "LISTENING <port>" once bound.
#   tclsh tls_server.tcl certfile keyfile
package require tls

lassign $argv certfile keyfile

proc accept {chan addr port} {
    fconfigure $chan -blocking 0 -buffering line -translation lf
    fileevent $chan readable [list serve $chan]
}

proc serve {chan} {
    if {[catch {gets $chan line} n]} {
        puts "ERROR:$n"
        flush stdout
        catch {close $chan}
        return
    }
    if {$n < 0} {
        if {[eof $chan]} {
            puts "CLOSED"
            flush stdout
            close $chan
        }
        return
    }
    puts $chan "tcl-tls:$line"
}

set server [tls::socket -server accept -certfile $certfile -keyfile $keyfile \
    -myaddr 127.0.0.1 0]
puts "LISTENING [lindex [fconfigure $server -sockname] 2]"
flush stdout
vwait forever
