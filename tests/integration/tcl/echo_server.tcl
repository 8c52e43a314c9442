# A legacy plaintext Tcl application: a line-oriented echo server on
# 127.0.0.1. Prints "LISTENING <port>" once bound (port 0 picks a free one).
#   tclsh echo_server.tcl ?port?
set port [expr {$argc > 0 ? [lindex $argv 0] : 0}]

proc accept {chan addr port} {
    fconfigure $chan -blocking 0 -buffering line -translation lf
    fileevent $chan readable [list echo $chan]
}

proc echo {chan} {
    if {[catch {gets $chan line} n]} {
        close $chan
        return
    }
    if {$n < 0} {
        if {[eof $chan]} { close $chan }
        return
    }
    puts $chan "echo:$line"
}

set server [socket -server accept -myaddr 127.0.0.1 $port]
puts "LISTENING [lindex [fconfigure $server -sockname] 2]"
flush stdout
vwait forever
