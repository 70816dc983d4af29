"""What bench/rtcpu and bench/gencpu read from /proc for a process: its CPU time in clock ticks."""
import os

TICK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid):
    """(utime, stime) in clock ticks: /proc/PID/stat fields 14 and 15 (split after the command's closing ')')."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])
