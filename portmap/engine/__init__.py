"""The engine: polling, the watch loop, the table reads, the state kept between runs and reverse DNS: the I/O the faces drive."""
