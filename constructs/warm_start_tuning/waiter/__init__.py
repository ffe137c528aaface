"""waiter"""
